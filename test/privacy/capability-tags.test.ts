import t from 'tap';
import { capabilitySignals, dcOutcome, starValue } from '../../src/call/contact-features.ts';
import { tagsFor, type TagAudience } from '../../src/privacy/capability-tags.ts';
import { featureParamsOf, formatFeatureParams } from '../../src/sip/feature-params.ts';
import { parseNameAddr } from '../../src/sip/name-addr.ts';
import type { SipHeader, SipRequest } from '../../src/sip/sip-message.ts';
import { BOOTSTRAP, offer } from '../helpers/sdp-builder.ts';

const UE_CONTACT =
  '<sip:+15550001111@192.0.2.10:5060;transport=udp>;+sip.app-subtype="webrtc-datachannel,pdf";+g.3gpp.dc-mux;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video;+sip.instance="<urn:gsma:imei:35209900-176148-1>";description="<Alice\'s phone>";expires=600;reg-id=1';

function tags(contact: string, audience: Partial<TagAudience>): string {
  const full: TagAudience = { senderTrusted: true, receiverTrusted: true, capabilitiesGranted: true, dc: 'none', carrier: 'contact', ...audience };
  return formatFeatureParams(tagsFor(featureParamsOf(parseNameAddr(contact).params), full));
}

t.test('between trusted peers: every feature tag but the device id; no other parameter', async (t) => {
  t.equal(
    tags(UE_CONTACT, {}),
    ';+sip.app-subtype="webrtc-datachannel,pdf";+g.3gpp.dc-mux;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video;description="<Alice\'s phone>"',
  );
});

t.test('every DC refused: no tag claims DC, the others stay', async (t) => {
  t.equal(tags(UE_CONTACT, { dc: 'refused' }), ';+sip.app-subtype="pdf";+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video;description="<Alice\'s phone>"');
  t.equal(tags('<sip:a@b>;+sip.app-subtype="WebRTC-DataChannel"', { dc: 'refused' }), '', 'in any letter case; an emptied tag goes');
  t.equal(tags('<sip:a@b>;+sip.app-subtype="!webrtc-datachannel"', { dc: 'refused' }), ';+sip.app-subtype="!webrtc-datachannel"', 'a negation claims nothing');
});

t.test('toward an untrusted peer without grants.capabilities: the DC tags alone, only with a kept DC', async (t) => {
  const untrusted = { receiverTrusted: false, capabilitiesGranted: false };
  t.equal(tags(UE_CONTACT, { ...untrusted, dc: 'kept' }), ';+sip.app-subtype="webrtc-datachannel";+g.3gpp.dc-mux');
  t.equal(tags(UE_CONTACT, { ...untrusted, dc: 'none' }), '', 'no DC in the SDP: the AS learns nothing of the terminal');
  t.equal(tags(UE_CONTACT, { ...untrusted, dc: 'refused' }), '');
  t.equal(tags('<sip:a@b>;+g.3gpp.dc-mux="<x>"', { ...untrusted, dc: 'kept' }), '', 'no string value toward it, DC tag or not');
});

t.test('toward an untrusted peer with grants.capabilities: the capability tags, never a string value', async (t) => {
  t.equal(
    tags(UE_CONTACT, { receiverTrusted: false, capabilitiesGranted: true, dc: 'none' }),
    ';+sip.app-subtype="webrtc-datachannel,pdf";+g.3gpp.dc-mux;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video',
  );
});

t.test('from an untrusted peer toward the core: its capability tags, no string value, no device id, no DC claim over a refused DC', async (t) => {
  const fromAs = '<sip:127.0.0.3:5060>;+sip.instance="<urn:gsma:imei:1>";+sip.app-subtype="webrtc-datachannel";+g.3gpp.dc-mux;+g.3gpp.iari-ref="urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geopush";x-route="<sip:evil>"';
  t.equal(tags(fromAs, { senderTrusted: false, dc: 'refused' }), ';+g.3gpp.iari-ref="urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geopush"');
  t.equal(tags(fromAs, { senderTrusted: false, dc: 'kept' }), ';+sip.app-subtype="webrtc-datachannel";+g.3gpp.dc-mux;+g.3gpp.iari-ref="urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geopush"');
});

t.test('Accept-Contact and Feature-Caps values: `*`, the kept tags, require/explicit with them; nothing else', async (t) => {
  const all = (p: ReturnType<typeof featureParamsOf>): ReturnType<typeof featureParamsOf> => p;
  t.equal(starValue('*;+sip.app-subtype="webrtc-datachannel";require;explicit;x-foo=1', false, all), '*;+sip.app-subtype="webrtc-datachannel";require;explicit');
  t.equal(starValue('*;require;explicit', false, all), null, 'no tag left: the value goes');
  t.equal(starValue('*;+g.3gpp.srvcc;video;require', true, all), '*;+g.3gpp.srvcc', 'Feature-Caps: "+" indicators only, no require');
  t.equal(starValue('<sip:a@b>;video', false, all), null, 'not a `*` value');
  t.equal(starValue('*;+sip.app-subtype="webrtc', false, all), null, 'unreadable: dropped, not guessed at');
  t.equal(starValue('*video', false, all), null);
});

function invite(headers: SipHeader[], body = ''): SipRequest {
  return {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:bob@ims.example.net',
    headers: [...headers, ...(body === '' ? [] : [{ name: 'Content-Type', value: 'application/sdp' }])],
    body,
  };
}

t.test('the DC outcome: kept when the forwarded SDP has an open DC m-line, refused when only the received one had', async (t) => {
  const open = invite([], offer({ channels: [BOOTSTRAP] }));
  const refused = invite([], offer({ channels: [BOOTSTRAP], dcPort: 0 }));
  t.equal(dcOutcome(open, open), 'kept');
  t.equal(dcOutcome(open, refused), 'refused');
  t.equal(dcOutcome(refused, refused), 'none', 'the peer closed it itself: the guard refused nothing');
  t.equal(dcOutcome(invite([]), invite([])), 'none');
  const unreadable = invite([], 'v=0\r\nm=application 52718 UDP/DTLS/SCTP webrtc-datachannel\r\n M=application 9 x y\r\n');
  t.equal(dcOutcome(unreadable, refused), 'refused', 'an SDP the strict reader refuses is read line by line');
  t.equal(dcOutcome(unreadable, unreadable), 'kept');
  const badPort = invite([], 'v=0\r\nm=application x UDP/DTLS/SCTP webrtc-datachannel\r\n M=a\r\n');
  t.equal(dcOutcome(badPort, badPort), 'none', 'a port that does not read is no DC kept; passed on as it came, nothing was refused');
  t.equal(dcOutcome(badPort, refused), 'refused', 'but it may have been one, and the guard changed it');
  const sdp = (mLine: string, attribute: string): SipRequest => invite([], `v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n${mLine}\r\n${attribute}\r\n`);
  const oddDc = sdp('m=application 52718 UDP/DTLS x-app', 'a=dcmap:0 subprotocol="http"');
  t.equal(dcOutcome(oddDc, sdp('m=application 0 UDP/DTLS x-app', '')), 'refused', 'a DC under a proto without SCTP counts, as the guard polices it (by its attributes)');
  t.equal(dcOutcome(oddDc, oddDc), 'kept');
  const rtp = sdp('m=audio 49170 RTP/AVP 0', 'a=max-message-size:1024');
  t.equal(dcOutcome(rtp, sdp('m=audio 0 RTP/AVP 0', '')), 'none', 'an RTP m-line is media, whatever its attributes');
});

t.test('capabilitySignals: the Contact params and the Accept-Contact / Feature-Caps the guard writes in place of the peer\'s', async (t) => {
  const received = invite(
    [
      { name: 'Contact', value: UE_CONTACT },
      { name: 'Accept-Contact', value: '*;+sip.app-subtype="webrtc-datachannel";require;explicit, *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"' },
      { name: 'Feature-Caps', value: '*;+g.3gpp.dc-mux;+g.3gpp.srvcc' },
      { name: 'Accept-Contact', value: '*;+sip.app-subtype="webrtc-datachannel' },
    ],
    offer({ channels: [BOOTSTRAP] }),
  );
  const forwarded = { ...received, body: offer({ channels: [BOOTSTRAP], dcPort: 0 }) };
  const trusted = capabilitySignals(received, forwarded, { senderTrusted: true, receiverTrusted: true, capabilitiesGranted: true });
  t.equal(trusted.contactParams, ';+sip.app-subtype="pdf";+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video;description="<Alice\'s phone>"');
  t.strictSame(
    trusted.withFeatureHeaders([{ name: 'Supported', value: 'timer' }, ...received.headers.filter((h) => h.name !== 'Contact' && h.name !== 'Content-Type')]),
    [
      { name: 'Supported', value: 'timer' },
      { name: 'Accept-Contact', value: '*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"' },
      { name: 'Feature-Caps', value: '*;+g.3gpp.srvcc' },
    ],
    'DC refused: the DC preference and indicator go; the unreadable value goes',
  );
  const kept = capabilitySignals(received, received, { senderTrusted: true, receiverTrusted: false, capabilitiesGranted: false });
  t.equal(kept.contactParams, ';+sip.app-subtype="webrtc-datachannel";+g.3gpp.dc-mux');
  t.strictSame(
    kept.withFeatureHeaders([]),
    [
      { name: 'Accept-Contact', value: '*;+sip.app-subtype="webrtc-datachannel";require;explicit' },
      { name: 'Feature-Caps', value: '*;+g.3gpp.dc-mux' },
    ],
    'toward an ungranted AS with a kept DC: the DC tags alone',
  );
  const several = invite([{ name: 'Contact', value: '<sip:a@b>;video, <sip:c@d>;audio' }]);
  t.equal(capabilitySignals(several, several, { senderTrusted: true, receiverTrusted: true, capabilitiesGranted: true }).contactParams, '', 'two Contacts: which device is it? none is read');
});
