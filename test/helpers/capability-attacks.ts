import type { Test } from 'tap';
import { getHeader, getHeaderValues } from '../../src/sip/sip-headers.ts';
import type { SipMessage, SipResponse } from '../../src/sip/sip-message.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { labs, type AttackSuiteOptions, type Lab } from './attack-suite.ts';
import type { FrontEndUnderTest } from './flow-suite.ts';
import { ADS, BOOTSTRAP, offer, WEATHER } from './sdp-builder.ts';
import { addrUri, dialogRequest, inDialog, viaTarget } from './sip-peer.ts';

/**
 * Capability signalling on the wire (RFC 3840, 3841, 6809; TS 26.114 6.2.10.1): the feature
 * tags on the Contact the guard writes, and Accept-Contact and Feature-Caps, follow the DC
 * decision and the receiving peer's grants. weather-as (127.0.0.3) is untrusted without
 * `grants.capabilities`; the caller (127.0.0.1) and callee (127.0.0.2) are the core. The AS
 * is the attacker: it has read the guard and tries to pass device ids and DC claims. Each
 * test uses 10 ports from `firstPort` (at most 10 tests here).
 */

/** What a terminal puts on its Contact: DC, MMTel, video, its device id, registration parameters. */
const UE_TAGS =
  ';+sip.app-subtype="webrtc-datachannel";+g.3gpp.dc-mux;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video;+sip.instance="<urn:gsma:imei:35209900-176148-1>";expires=600;reg-id=1;pub-gruu="sip:+15550001111@ims.example.net;gr=urn:uuid:f81d4fae"';
const DC_TAGS = ';+sip.app-subtype="webrtc-datachannel";+g.3gpp.dc-mux';
/** Device ids, registration and routing data: nothing of this may reach anyone from a Contact the guard writes. */
const DEVICE = /35209900|imei|expires|reg-id|gruu|gr=|f81d4fae|192\.0\.2\.|127\.0\.0\.[1-9]\b/i;

function withContact<T extends SipMessage>(msg: T, contact: string): T {
  msg.headers = msg.headers.map((h) => (h.name === 'Contact' ? { name: 'Contact', value: contact } : h));
  return msg;
}

/** The guard's Contact of a message: its URI (the guard's) and its parameters after the `>`. */
function guardContact(msg: SipMessage): { uri: string; params: string } {
  const value = getHeader(msg, 'Contact') ?? '';
  const gt = value.indexOf('>');
  return { uri: addrUri(value), params: value.slice(gt + 1) };
}

function dialogOf(ok: SipResponse): Parameters<typeof inDialog>[1] {
  return { callId: getHeader(ok, 'Call-ID') ?? '', localUri: getHeader(ok, 'From') ?? '', remoteUri: getHeader(ok, 'To') ?? '', remoteTarget: addrUri(getHeader(ok, 'Contact')) };
}

export function defineCapabilityAttacks(t: Test, frontEnd: () => FrontEndUnderTest, options: AttackSuiteOptions): void {
  const { skip } = options;
  const lab = labs(frontEnd, options.firstPort);
  const guardHost = (l: Lab): string => l.guardUri.replace(/^sip:/, '');

  t.test("a kept DC reaches the callee with the caller's DC and service tags on the guard's Contact, and no device id", { skip }, async (t) => {
    const l = await lab(t);
    const invite = withContact(dialogRequest(l.caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'tags-kept', body: offer({ channels: [BOOTSTRAP] }) }), `<sip:+15550001111@192.0.2.10:5060>${UE_TAGS}`);
    invite.headers.push({ name: 'Accept-Contact', value: '*;+sip.app-subtype="webrtc-datachannel";require;explicit' });
    l.caller.send(invite, l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    const contact = guardContact(atCallee);
    t.match(contact.uri, guardHost(l), "the Contact is the guard's");
    t.equal(contact.params, ';+sip.app-subtype="webrtc-datachannel";+g.3gpp.dc-mux;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video', 'with the terminal tags, written again');
    t.notMatch(getHeader(atCallee, 'Contact') ?? '', DEVICE, 'no device id or registration parameter');
    t.strictSame(getHeaderValues(atCallee, 'Accept-Contact'), ['*;+sip.app-subtype="webrtc-datachannel";require;explicit'], 'the caller preference for a DC callee');
    const ok = withContact(l.callee.response(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob' }) }), `<sip:bob@192.0.2.20>;+sip.app-subtype="webrtc-datachannel";+sip.instance="<urn:gsma:imei:1>"`);
    l.callee.send(ok, viaTarget(atCallee));
    const answered = await l.caller.nextResponse(200, 'INVITE');
    t.equal(guardContact(answered).params, ';+sip.app-subtype="webrtc-datachannel"', "the callee's DC tag reaches the caller, its device id does not");
  });

  t.test("the AS's DC refused: its DC claims, device id and registration parameters do not reach the callee", { skip }, async (t) => {
    const l = await lab(t);
    // ADS is not granted to weather-as: the guard refuses every DC of this offer.
    const invite = withContact(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'tags-fake', body: offer({ channels: [ADS] }) }), `<sip:127.0.0.3:${l.as.port}>${UE_TAGS};+g.3gpp.iari-ref="urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geopush";+sip.pub-gruu="<sip:+15550003333@ims.example.net;gr=urn:uuid:f81d4fae>"`);
    invite.headers.push(
      { name: 'Accept-Contact', value: '*;+sip.app-subtype="webrtc-datachannel";+sip.instance="<urn:gsma:imei:35209900-176148-1>";require;explicit' },
      { name: 'Feature-Caps', value: '*;+g.3gpp.dc-mux;+g.3gpp.registration-token="<35209900>"' },
    );
    l.as.send(invite, l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    t.ok(readSdp(atCallee.body).dcMedia.every((m) => m.port === 0), 'the DC reaches the callee refused');
    const contact = guardContact(atCallee);
    t.equal(contact.params, ';+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video;+g.3gpp.iari-ref="urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geopush"', 'its service tags only: no tag claims DC');
    t.notMatch(getHeader(atCallee, 'Contact') ?? '', DEVICE);
    t.equal(getHeader(atCallee, 'Accept-Contact'), undefined, "the AS's caller preferences do not steer the core");
    t.equal(getHeader(atCallee, 'Feature-Caps'), undefined, 'nor its capability indicators');
  });

  t.test("in a dialog: the AS's granted re-offer reaches the core with its DC tags; its offer in a 200 the guard refuses, without them", { skip }, async (t) => {
    const l = await lab(t);
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'tags-reinvite', body: offer({ channels: [WEATHER], dcPort: 0 }) }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [WEATHER], dcPort: 0, username: 'bob' }) });
    const ok = await l.as.nextResponse(200, 'INVITE');
    const dialog = dialogOf(ok);
    l.as.send(inDialog(l.as, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.callee.nextRequest('ACK');
    const asContact = `<sip:127.0.0.3:${l.as.port}>${DC_TAGS};+sip.instance="<urn:gsma:imei:1>"`;
    l.as.send(withContact(inDialog(l.as, dialog, { method: 'INVITE', cseq: 2, body: offer({ channels: [WEATHER], version: 2 }) }), asContact), l.to);
    const granted = await l.callee.nextRequest('INVITE');
    t.ok(readSdp(granted.body).dcMedia.some((m) => m.port !== 0), 'the granted channel is kept');
    t.equal(guardContact(granted).params, DC_TAGS, 'the re-INVITE claims DC, and no device');
    l.callee.reply(granted, 200, 'OK', { body: offer({ channels: [WEATHER], version: 2, username: 'bob' }) });
    await l.as.nextResponse(200, 'INVITE');
    l.as.send(inDialog(l.as, dialog, { method: 'ACK', cseq: 2 }), l.to);
    await l.callee.nextRequest('ACK');

    // The core re-INVITEs without an offer; the AS offers an ungranted channel in its 200.
    const calleeDialog = { callId: getHeader(atCallee, 'Call-ID') ?? '', localUri: `${getHeader(atCallee, 'To') ?? ''};tag=callee`, remoteUri: getHeader(atCallee, 'From') ?? '', remoteTarget: addrUri(getHeader(atCallee, 'Contact')) };
    l.callee.send(inDialog(l.callee, calleeDialog, { method: 'INVITE', cseq: 1 }), l.to);
    const offerless = await l.as.nextRequest('INVITE');
    l.as.send(withContact(l.as.response(offerless, 200, 'OK', { body: offer({ channels: [ADS], version: 3, username: 'as' }) }), asContact), viaTarget(offerless));
    const refused = await l.callee.nextResponse(200, 'INVITE');
    t.ok(readSdp(refused.body).dcMedia.every((m) => m.port === 0), 'the ungranted channel of its 200 reaches the core refused');
    t.equal(guardContact(refused).params, '', 'and the 200 claims no DC');
  });

  t.test('a call the core hands to the AS (no capabilities grant) with a DC: only the DC tags reach the AS', { skip }, async (t) => {
    const l = await lab(t);
    const invite = withContact(
      dialogRequest(l.caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'tags-to-as', route: [`<${l.guardUri};lr;as=weather-as>`, `<sip:127.0.0.2:${l.callee.port};lr>`], body: offer({ channels: [BOOTSTRAP] }) }),
      `<sip:+15550001111@192.0.2.10:5060>${UE_TAGS}`,
    );
    invite.headers.push(
      { name: 'Accept-Contact', value: '*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";+sip.app-subtype="webrtc-datachannel";require' },
      { name: 'Feature-Caps', value: '*;+g.3gpp.dc-mux;+g.3gpp.registration-token="<35209900>";+g.3gpp.srvcc' },
    );
    l.caller.send(invite, l.to);
    const atAs = await l.as.nextRequest('INVITE');
    t.equal(guardContact(atAs).params, DC_TAGS, 'the DC tags it needs to serve the DC: no MMTel, video or device');
    t.strictSame(getHeaderValues(atAs, 'Accept-Contact'), ['*;+sip.app-subtype="webrtc-datachannel";require']);
    t.strictSame(getHeaderValues(atAs, 'Feature-Caps'), ['*;+g.3gpp.dc-mux']);
    t.notMatch(atAs.headers.map((h) => `${h.name}: ${h.value}`).join('\n'), /icsi|video|srvcc|registration-token|35209900|imei/, 'nothing else of the terminal or the network');
  });

  t.test("an AS without the grant gets no terminal tag on the core's answer to its call", { skip }, async (t) => {
    const l = await lab(t);
    // Its call has no open DC: nothing in what it gets may tell it what the callee's terminal can do.
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'tags-answer', body: offer({ channels: [WEATHER], dcPort: 0 }) }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    const ok = withContact(l.callee.response(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [WEATHER], dcPort: 0, username: 'bob' }) }), `<sip:bob@192.0.2.20>${UE_TAGS}`);
    ok.headers.push({ name: 'Feature-Caps', value: '*;+g.3gpp.srvcc;+g.3gpp.dc-mux' });
    l.callee.send(ok, viaTarget(atCallee));
    const answered = await l.as.nextResponse(200, 'INVITE');
    t.match(guardContact(answered).uri, guardHost(l), "the AS gets the guard's Contact");
    t.equal(guardContact(answered).params, '', 'with no feature tag');
    t.equal(getHeader(answered, 'Feature-Caps'), undefined, "and no Feature-Caps of the core's");
  });
}
