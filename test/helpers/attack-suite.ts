import type { Test } from 'tap';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import type { FrontEndUnderTest, GuardUnderTest } from './flow-suite.ts';
import { ADS, BOOTSTRAP, offer, WEATHER } from './sdp-builder.ts';
import { addrUri, ALL_BYTES, dialogRequest, inDialog, multipart, SipPeer, viaTarget } from './sip-peer.ts';

/** One guard and the scripted peers of a test, on 10 ports from `base`: caller, callee, the AS, and a bystander. */
export interface Lab {
  readonly guard: GuardUnderTest;
  readonly to: { readonly address: string; readonly port: number };
  readonly caller: SipPeer;
  readonly callee: SipPeer;
  readonly as: SipPeer;
  /** 127.0.0.9: a host nobody should send anything to. */
  readonly victim: SipPeer;
  readonly guardUri: string;
}

export async function startLab(t: Test, fe: FrontEndUnderTest, base: number): Promise<Lab> {
  const { guard, port } = await fe.start({ port: base, calleePort: base + 2, asPort: base + 3 });
  const peers = await Promise.all([
    SipPeer.start('127.0.0.1', base + 1),
    SipPeer.start('127.0.0.2', base + 2),
    SipPeer.start('127.0.0.3', base + 3),
    SipPeer.start('127.0.0.9', base + 4),
  ]);
  const [caller, callee, as, victim] = peers;
  t.teardown(async () => {
    for (const peer of peers) {
      peer.close();
    }
    await guard.stop();
  });
  return { guard, to: { address: fe.guardIp, port }, caller, callee, as, victim, guardUri: `sip:${fe.guardIp}:${port}` };
}

export interface AttackSuiteOptions {
  readonly skip: false | string;
  /** Each test uses 10 ports from here. */
  readonly firstPort: number;
  /**
   * False where the SIP stack is another's (drachtio-server): its transactions, Via handling,
   * parser and in-dialog routing are not the guard's rules, and those tests are skipped.
   */
  readonly guardOwnsStack?: boolean;
  /** False where bodies cross a text-only API (drachtio-srf): the binary part is then printable. */
  readonly bytesClean?: boolean;
}

/** A lab per test, each on its own 10 ports from `firstPort`. */
export function labs(frontEnd: () => FrontEndUnderTest, firstPort: number): (t: Test) => Promise<Lab> {
  let nextPort = firstPort;
  return (t) => {
    const base = nextPort;
    nextPort += 10;
    return startLab(t, frontEnd(), base);
  };
}

/** The dialog a UAS that answered `req` with To tag `tag` has, for its own in-dialog requests. */
function answererDialog(req: SipRequest, tag: string): Parameters<typeof inDialog>[1] {
  return {
    callId: getHeader(req, 'Call-ID') ?? '',
    localUri: `${getHeader(req, 'To') ?? ''};tag=${tag}`,
    remoteUri: getHeader(req, 'From') ?? '',
    remoteTarget: addrUri(getHeader(req, 'Contact')),
  };
}

/** The guard's decision lines that carry reason `code`. */
function decisions(guard: GuardUnderTest, code: string): Record<string, unknown>[] {
  return guard.logs.filter((l) => l.msg === 'decision' && JSON.stringify(l.reasons ?? []).includes(`"${code}"`));
}

/** The dialog a 2xx to its INVITE set up, as the caller sees it (RFC 3261 12.1.2). */
function callerDialog(ok: SipResponse): Parameters<typeof inDialog>[1] {
  return {
    callId: getHeader(ok, 'Call-ID') ?? '',
    localUri: getHeader(ok, 'From') ?? '',
    remoteUri: getHeader(ok, 'To') ?? '',
    remoteTarget: addrUri(getHeader(ok, 'Contact')),
  };
}

/**
 * The untrusted AS as an attacker who has read the guard's code, on the wire: weather-as
 * (127.0.0.3, untrusted, granted com.example.weather only, no terminate) against a core
 * caller (127.0.0.1) and callee (127.0.0.2), all scripted peers that record every byte.
 * Written once, run on each front end. Each test uses 10 ports from `firstPort`.
 */
export function defineDialogAttacks(t: Test, frontEnd: () => FrontEndUnderTest, options: AttackSuiteOptions): void {
  const { skip } = options;
  const stackSkip = options.guardOwnsStack === false ? 'transactions and Via handling belong to the SIP stack in front of the guard' : skip;
  const lab = labs(frontEnd, options.firstPort);

  /** caller -> guard -> callee (next hop), answered 180: the INVITE as the callee got it, and the caller's. */
  async function ringingCoreCall(l: Lab, callId: string): Promise<{ sent: SipRequest; atCallee: SipRequest }> {
    const sent = dialogRequest(l.caller, { uri: `sip:+15550002222@ims.example.net`, callId, body: offer({ channels: [BOOTSTRAP] }) });
    l.caller.send(sent, l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    l.callee.reply(atCallee, 180, 'Ringing', { toTag: 'callee' });
    await l.caller.nextResponse(180);
    return { sent, atCallee };
  }


  const ownStack = options.guardOwnsStack !== false;

  t.test('a response copied from another call by the AS changes nothing (dialog.wrong-peer)', { skip }, async (t) => {
    const l = await lab(t);
    const { atCallee } = await ringingCoreCall(l, 'attack-486');
    // 486 from the AS, with every identifier of the callee leg's INVITE.
    l.as.send(l.as.response(atCallee, 486, 'Busy Here', { toTag: 'forged' }), viaTarget(atCallee));
    t.notOk(await l.caller.gotWithin((m) => m.kind === 'response' && m.status >= 300), 'the caller did not get the 486');
    t.ok(decisions(l.guard, 'dialog.wrong-peer').length >= 1, 'the attempt has its decision line');
    if (!ownStack) {
      // drachtio-server's transaction took the 486 as final before the guard saw it: the call
      // toward the callee is over in the stack, whatever the guard relays (see README, Front ends).
      return;
    }
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
    t.equal((await l.caller.nextResponse(200, 'INVITE')).status, 200, 'the call goes on and is answered');
  });

  t.test('a CANCEL of a call the AS is not party to reaches nobody (dialog.wrong-peer)', { skip }, async (t) => {
    const l = await lab(t);
    const { sent, atCallee } = await ringingCoreCall(l, 'attack-cancel');
    // CANCEL from the AS of the caller's INVITE: its Via branch, Call-ID, From, To and CSeq number;
    // rport, so that the answer comes back to the AS's own port rather than the caller's sent-by port.
    const cancel: SipRequest = {
      kind: 'request',
      method: 'CANCEL',
      uri: sent.uri,
      headers: sent.headers
        .filter((h) => ['Via', 'From', 'To', 'Call-ID', 'Max-Forwards'].includes(h.name))
        .map((h) => (h.name === 'Via' ? { name: 'Via', value: `${h.value};rport` } : h))
        .concat([{ name: 'CSeq', value: '1 CANCEL' }]),
      body: '',
    };
    l.as.send(cancel, l.to);
    if (ownStack) {
      t.equal((await l.as.nextResponse((s) => s >= 400, 'CANCEL')).status, 403, 'the CANCEL of an INVITE another peer sent is refused');
      t.notOk(await l.caller.gotWithin((m) => m.kind === 'response' && m.status >= 300), 'the caller got no 487');
    }
    t.notOk(await l.callee.gotWithin((m) => m.kind === 'request' && m.method === 'CANCEL'), 'the callee got no CANCEL');
    t.ok(decisions(l.guard, 'dialog.wrong-peer').length >= 1, 'the attempt has its decision line');
    if (ownStack) {
      l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
      t.equal((await l.caller.nextResponse(200, 'INVITE')).status, 200, 'the call goes on and is answered');
    }
  });

  t.test("BYE, ACK and PRACK from the AS on a core call's dialog are refused and reach nobody", { skip }, async (t) => {
    const l = await lab(t);
    const { atCallee } = await ringingCoreCall(l, 'attack-bye');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    // The dialog as the caller sees it (guard's tag in To), which the AS copies.
    const dialog = callerDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.callee.nextRequest('ACK');

    l.as.send(inDialog(l.as, dialog, { method: 'ACK', cseq: 1, body: offer({ channels: [BOOTSTRAP, ADS] }) }), l.to);
    l.as.send(inDialog(l.as, dialog, { method: 'PRACK', cseq: 3, headers: [{ name: 'RAck', value: '1 1 INVITE' }] }), l.to);
    if (ownStack) {
      t.equal((await l.as.nextResponse((s) => s >= 200, 'PRACK')).status, 403, 'PRACK refused');
    }
    // Last: drachtio-server forgets its dialog on any BYE, before the guard answers it.
    l.as.send(inDialog(l.as, dialog, { method: 'BYE', cseq: 2 }), l.to);
    t.equal((await l.as.nextResponse((s) => s >= 200, 'BYE')).status, 403, 'BYE refused');
    const reached = (m: SipMessage): boolean => m.kind === 'request' && ['BYE', 'PRACK'].includes(m.method);
    t.notOk(await l.callee.gotWithin(reached), 'the callee got no BYE or PRACK');
    t.equal(l.callee.received.filter((m) => m.kind === 'request' && m.method === 'ACK').length, 1, 'nor a second ACK');
    if (!ownStack) {
      return;
    }
    // The caller's own BYE still ends the call.
    l.caller.send(inDialog(l.caller, dialog, { method: 'BYE', cseq: 2 }), l.to);
    const bye = await l.callee.nextRequest('BYE');
    l.callee.reply(bye, 200, 'OK');
    t.equal((await l.caller.nextResponse(200, 'BYE')).status, 200);
  });

  t.test('a channel the guard stripped does not pass when the AS offers it again in a re-INVITE', { skip }, async (t) => {
    const l = await lab(t);
    const first = offer({ channels: [WEATHER, ADS], username: 'as' });
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'attack-reoffer', body: first }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    t.notMatch(atCallee.body, /dcmap:1002/, 'the ungranted channel is stripped from the first offer');
    t.match(atCallee.body, /dcmap:1000/, 'the granted one passes');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: atCallee.body.replace(/o=\S+/, 'o=bob') });
    const ok = await l.as.nextResponse(200, 'INVITE');
    const dialog = callerDialog(ok);
    l.as.send(inDialog(l.as, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.callee.nextRequest('ACK');

    // The same offer again, version 2: "the channel was there before" from the AS's side only.
    l.as.send(inDialog(l.as, dialog, { method: 'INVITE', cseq: 2, body: offer({ channels: [WEATHER, ADS], username: 'as', version: 2 }) }), l.to);
    const answer = await l.as.nextResponse((s) => s >= 200, 'INVITE');
    const reInvite = l.callee.received.find((m): m is SipRequest => m.kind === 'request' && m.method === 'INVITE' && m !== atCallee);
    t.notMatch(reInvite?.body ?? '', /dcmap:1002/, 'the callee never gets the ungranted channel');
    t.ok(answer.status === 488 || reInvite !== undefined, 'the re-offer is refused (488) or forwarded without it');
    t.ok(decisions(l.guard, 'dc.app-not-granted').length >= 2, 'the re-offer is policed and logged again');
  });

  t.test('a DC restart of the AS (new port, a=tls-id, a=setup, a=fingerprint; the same channels) goes on with those lines byte for byte', { skip }, async (t) => {
    const l = await lab(t);
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'dc-restart', body: offer({ channels: [WEATHER], username: 'as' }) }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: atCallee.body.replace(/o=\S+/, 'o=bob') });
    const ok = await l.as.nextResponse(200, 'INVITE');
    const dialog = callerDialog(ok);
    l.as.send(inDialog(l.as, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.callee.nextRequest('ACK');

    const security = ['a=setup:active', 'a=fingerprint:SHA-256 11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00', 'a=tls-id:ffee0011223344556677'];
    const restart = offer({ channels: [WEATHER], username: 'as', version: 2, dcPort: 53000 })
      .replace('a=setup:actpass', security[0] ?? '')
      .replace(/a=fingerprint:SHA-256 [0-9A-F:]+/, security[1] ?? '')
      .replace('a=tls-id:abc3de65cddef001be82', security[2] ?? '');
    l.as.send(inDialog(l.as, dialog, { method: 'INVITE', cseq: 2, body: restart }), l.to);
    const reInvite = await l.callee.nextRequest('INVITE');
    const dc = reInvite.body.slice(reInvite.body.indexOf('m=application'));
    t.match(dc, /^m=application 53000 /, 'the new port');
    for (const line of security) {
      t.ok(dc.includes(`${line}\r\n`), `${line.slice(0, 20)}… byte for byte`);
    }
    t.match(dc, /a=dcmap:1000 /, 'the channel stays');
    t.equal(decisions(l.guard, 'dialog.modify-not-granted').length, 0, 'not taken for a change of the DC');
  });

  t.test("an answer from the AS the guard cannot verify does not reach the caller as it came", { skip }, async (t) => {
    const l = await lab(t);
    const seen = new Set<string>();
    for (const [name, hidden, dcRefused] of [
      // Unreadable: the lines the guard cannot read are dropped and the rest verified.
      ['a DC m-line hidden behind a leading blank', ' m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=dcmap:1002 label="ads"\r\n', false],
      ['a DC m-line with an upper-case type letter', 'M=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=dcmap:1002 label="ads"\r\n', false],
      // Another m-line count: answered on the AS's behalf with every DC m-line refused.
      ['an m-line more than the offer', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=dcmap:1002 label="ads"\r\n', true],
    ] as const) {
      const callId = `attack-answer-${name.length}`;
      const sent = dialogRequest(l.caller, {
        uri: 'sip:+15550002222@ims.example.net',
        callId,
        route: [`<${l.guardUri};lr;as=weather-as>`, `<sip:127.0.0.2:${l.callee.port};lr>`],
        body: offer({ channels: [BOOTSTRAP] }),
      });
      l.caller.send(sent, l.to);
      const atAs = await l.as.next<SipRequest>((m) => m.kind === 'request' && m.method === 'INVITE' && !seen.has(getHeader(m, 'Call-ID') ?? ''));
      seen.add(getHeader(atAs, 'Call-ID') ?? '');
      const forged = `${offer({ channels: [BOOTSTRAP], username: 'as' })}${hidden}`;
      l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: forged });
      const ok = await l.caller.next<SipResponse>((m) => m.kind === 'response' && m.status === 200 && getHeader(m, 'Call-ID') === callId);
      t.notMatch(ok.body, /dcmap:1002|application 9/, `${name}: nothing of it reaches the caller`);
      const view = readSdp(ok.body);
      t.equal(view.mediaCount, readSdp(sent.body).mediaCount, `${name}: as many m-lines as the offer (RFC 3264 6)`);
      if (dcRefused) {
        t.ok(view.dcMedia.every((m) => m.port === 0), `${name}: every DC m-line refused`);
      }
    }
    t.ok(decisions(l.guard, 'sdp.unparseable').length >= 2, 'each unreadable answer is logged');
    t.ok(decisions(l.guard, 'sdp.answer-unverifiable').length >= 1, 'the answer written on the AS behalf is logged');
  });

  t.test('the AS cannot use the guard as a relay to an address of its choosing', { skip }, async (t) => {
    const l = await lab(t);
    const victimRoute = `<sip:${l.victim.ip}:${l.victim.port};lr>`;
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'attack-relay-1', route: [victimRoute], body: offer({ channels: [WEATHER] }) }), l.to);
    const refused = await l.as.nextResponse((s) => s >= 300, 'INVITE');
    t.equal(refused.status, 403, 'a Route of its own: 403');
    t.match(getHeader(refused, 'Warning') ?? '', /route\.not-allowed/);

    l.as.send(dialogRequest(l.as, { uri: `sip:${l.victim.ip}:${l.victim.port}`, callId: 'attack-relay-2', route: [`<${l.guardUri};lr;as=weather-as>`] }), l.to);
    t.equal((await l.as.nextResponse((s) => s >= 300, 'INVITE')).status, 403, 'handing a call to an AS by ;as=: 403');

    // URI headers have no place in a Request-URI (RFC 3261 19.1.1): refused (400) or stripped.
    const headered = `sip:+15550002222@ims.example.net?Route=%3Csip:${l.victim.ip}:${l.victim.port};lr%3E`;
    l.as.send(dialogRequest(l.as, { uri: headered, to: 'sip:+15550002222@ims.example.net', callId: 'attack-relay-3' }), l.to);
    const outcome = await Promise.race([
      l.as.next<SipResponse>((m) => m.kind === 'response' && m.status >= 400 && getHeader(m, 'Call-ID') === 'attack-relay-3').then((res) => ({ refused: res.status })),
      l.callee.nextRequest('INVITE').then((req) => ({ forwarded: req })),
    ]);
    if ('forwarded' in outcome) {
      t.notMatch(outcome.forwarded.uri, /\?/, 'Request-URI headers are stripped; the request goes to the next hop');
      l.callee.reply(outcome.forwarded, 486, 'Busy Here', { toTag: 'c' });
    } else {
      t.equal(outcome.refused, 400, 'a Request-URI with headers is refused');
    }
    if (options.guardOwnsStack === false) {
      t.notOk(await l.victim.gotWithin(() => true), 'the victim never got anything');
      return;
    }
    // maddr in its Via would have the guard's answers sent to a third party (a reflector).
    const reflected = await SipPeer.start(l.victim.ip, l.as.port);
    t.teardown(() => reflected.close());
    const viaMaddr = dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'attack-maddr', route: [victimRoute] });
    viaMaddr.headers[0] = { name: 'Via', value: `${l.as.via()};maddr=${l.victim.ip}` };
    l.as.send(viaMaddr, l.to);
    const toAs = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status >= 300 && getHeader(m, 'Call-ID') === 'attack-maddr');
    t.equal(toAs.status, 403, 'the answer to a Via with maddr comes back to the sender');
    t.notOk(reflected.received.length > 0, 'not to the address maddr names');
    t.notOk(await l.victim.gotWithin(() => true), 'the victim never got anything');
  });

  t.test('a request that requires an extension the guard does not support gets 420 with Unsupported', { skip }, async (t) => {
    const l = await lab(t);
    for (const [name, value] of [
      ['Require', 'x-evil-ext'],
      ['Proxy-Require', 'sec-agree'],
    ] as const) {
      const callId = `ext-${name}`;
      l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId, headers: [{ name, value }] }), l.to);
      const res = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status >= 300 && getHeader(m, 'Call-ID') === callId);
      t.equal(res.status, 420, `${name}: ${value} gets 420`);
      t.equal(getHeader(res, 'Unsupported'), value, 'naming the extension');
    }
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'ext-100rel', headers: [{ name: 'Require', value: '100rel' }] }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    t.equal(getHeader(atCallee, 'Require'), '100rel', 'one it supports passes on');
    l.callee.reply(atCallee, 486, 'Busy Here', { toTag: 'c' });
  });

  t.test("an INVITE squatting on the caller's branch does not swallow the caller's real INVITE", { skip: stackSkip }, async (t) => {
    const l = await lab(t);
    const branch = l.caller.branch();
    const squat = dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'squat-as', branch, fromTag: 'squat' });
    // The caller's sent-by in the AS's Via: the transaction key the caller's INVITE will have.
    squat.headers[0] = { name: 'Via', value: `SIP/2.0/UDP ${l.caller.ip}:${l.caller.port};branch=${branch}` };
    l.as.send(squat, l.to);
    const squatted = await l.callee.nextRequest('INVITE');
    t.equal(squatted.body, '', "the AS's INVITE (no body) went on as its own call");
    l.caller.send(dialogRequest(l.caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'squat-real', branch, body: offer({ channels: [BOOTSTRAP] }) }), l.to);
    const real = await l.callee.next<SipRequest>((m) => m.kind === 'request' && m.method === 'INVITE' && m.body.includes('dcmap'));
    t.ok(real, "the caller's INVITE reached the callee as a new request");
    l.callee.reply(real, 486, 'Busy Here', { toTag: 'c' });
    t.equal((await l.caller.nextResponse(486, 'INVITE')).status, 486, 'and its answer came back to the caller');
  });
}

/**
 * The AS hides an offer where the guard might not look (RFC 5621 multipart, odd types) and
 * binary bodies cross the guard byte for byte. Same lab as defineDialogAttacks.
 */
export function defineBodyAttacks(t: Test, frontEnd: () => FrontEndUnderTest, options: AttackSuiteOptions): void {
  const { skip } = options;
  const isup = options.bytesClean === false ? 'ISUP IAM 0123456789 calling=15550001111' : ALL_BYTES;
  const lab = labs(frontEnd, options.firstPort);

  const ungranted = offer({ channels: [WEATHER, ADS], username: 'as' });

  t.test('every SDP part from the AS is policed, whatever the body looks like', { skip }, async (t) => {
    const l = await lab(t);
    const cases: { name: string; contentType: string; body: string }[] = [
      { name: 'odd case and parameters', contentType: 'Application/SDP; charset=utf-8', body: ungranted },
      { name: 'multipart/mixed', contentType: 'multipart/mixed;boundary=b1', body: multipart('b1', [['application/sdp', ungranted], ['application/dtmf-relay', 'Signal=5\r\nDuration=160']]) },
      { name: 'multipart/alternative, two SDPs', contentType: 'multipart/alternative; boundary="b2"', body: multipart('b2', [['application/sdp', offer({ channels: [WEATHER] })], ['application/sdp', ungranted]]) },
      {
        name: 'nested multipart',
        contentType: 'multipart/mixed;boundary=outer',
        body: multipart('outer', [['multipart/alternative;boundary=inner', multipart('inner', [['APPLICATION/sdp', ungranted]]).slice(0, -2)]]),
      },
    ];
    for (const [i, c] of cases.entries()) {
      l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: `body-${i}`, contentType: c.contentType, body: c.body }), l.to);
      const atCallee = await l.callee.nextRequest('INVITE');
      t.notMatch(atCallee.body, /dcmap:1002/, `${c.name}: the ungranted channel is stripped`);
      t.match(atCallee.body, /dcmap:1000/, `${c.name}: the granted one passes`);
      if (c.name === 'multipart/mixed') {
        t.match(atCallee.body, /--b1\r\nContent-Type: application\/dtmf-relay\r\n\r\nSignal=5\r\nDuration=160\r\n--b1--\r\n$/, 'the other part is byte-exact');
      }
      l.callee.reply(atCallee, 486, 'Busy Here', { toTag: `c${i}` });
    }
  });

  t.test('an ungranted channel on an m-line whose proto names no SCTP is policed like any other (found by the fuzzer)', { skip }, async (t) => {
    const l = await lab(t);
    for (const [i, proto] of ['UDP/DTLS', 'TCP/DTLS', 'DTLS'].entries()) {
      const misspelled = ungranted.replace(/UDP\/DTLS\/SCTP/g, proto);
      l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: `proto-${i}`, body: misspelled }), l.to);
      const atCallee = await l.callee.nextRequest('INVITE');
      t.notMatch(atCallee.body, /dcmap:1002/, `${proto}: the ungranted channel does not reach the core`);
      t.match(atCallee.body, /dcmap:1000/, `${proto}: the granted one passes`);
      l.callee.reply(atCallee, 486, 'Busy Here', { toTag: `p${i}` });
    }
  });

  t.test('a body from the AS the guard cannot classify is refused with 415', { skip }, async (t) => {
    const l = await lab(t);
    const cases: { name: string; contentType: string | null; body: string }[] = [
      { name: 'no Content-Type', contentType: null, body: ungranted },
      { name: 'a type a lenient receiver reads as SDP', contentType: 'text/plain', body: ungranted },
      { name: 'an unknown part beside the SDP', contentType: 'multipart/mixed;boundary=x', body: multipart('x', [['application/sdp', offer({ channels: [WEATHER] })], ['application/x-sdp', ungranted]]) },
      { name: 'a multipart without its close delimiter', contentType: 'multipart/mixed;boundary=y', body: `--y\r\nContent-Type: application/sdp\r\n\r\n${ungranted}` },
    ];
    for (const [i, c] of cases.entries()) {
      const callId = `refused-body-${i}`;
      l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId, contentType: c.contentType, body: c.body }), l.to);
      const res = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status >= 300 && getHeader(m, 'Call-ID') === callId);
      t.ok(res.status === 415 || res.status === 400, `${c.name}: refused (${res.status})`);
      if (res.status === 415) {
        t.match(getHeader(res, 'Accept') ?? '', /application\/sdp/, `${c.name}: the 415 says what is accepted`);
      }
    }
    t.notOk(await l.callee.gotWithin((m) => m.kind === 'request'), 'none reached the callee');
  });

  t.test('two Content-Types, or one stream id mapped twice, do not let an SDP be read two ways', { skip }, async (t) => {
    const l = await lab(t);
    const twoTypes = dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'two-types', contentType: 'application/dtmf-relay', body: ungranted });
    twoTypes.headers.push({ name: 'Content-Type', value: 'application/sdp' });
    l.as.send(twoTypes, l.to);
    const refused = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status >= 300 && getHeader(m, 'Call-ID') === 'two-types');
    t.equal(refused.status, 400, 'a second Content-Type: 400');

    // Stream 0 an app channel to a first-wins reader, an HTTP bootstrap to a last-wins one.
    const twice = offer({ channels: [WEATHER] }).replace('a=dcmap:1000', 'a=dcmap:0').concat('a=dcmap:0 subprotocol="http"\r\n');
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'dcmap-twice', body: twice }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    t.ok(readSdp(atCallee.body).dcMedia.every((m) => m.port === 0), 'the DC m-line reaches the callee refused');
    l.callee.reply(atCallee, 486, 'Busy Here', { toTag: 'c' });
    t.notOk(l.callee.received.some((m) => m.kind === 'request' && getHeader(m, 'Call-ID')?.includes('two-types') === true), 'the two-type INVITE reached nobody');
  });

  t.test('a bandwidth the guard does not read beside b=AS does not lift the cap', { skip }, async (t) => {
    const l = await lab(t);
    const tias = offer({ channels: [WEATHER] }).replace('b=AS:200', 'b=AS:200\r\nb=TIAS:900000000');
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'tias', body: tias }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    t.ok(readSdp(atCallee.body).dcMedia.every((m) => m.port === 0), 'the DC m-line with b=TIAS reaches the callee refused (cap 256 kbps)');
    l.callee.reply(atCallee, 486, 'Busy Here', { toTag: 'c' });
  });

  t.test('splitting its bandwidth over several DC m-lines does not lift the cap: they add up in the call', { skip }, async (t) => {
    const l = await lab(t);
    // Two m-lines of 200 kbps, each under the 256 kbps cap, 400 together.
    const split = offer({ channels: [WEATHER], extraDc: [{ port: 52720, bandwidth: 200, channels: [{ ...WEATHER, stream: 1002, label: 'weather-2' }] }] });
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'split-bw', body: split }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    const ports = readSdp(atCallee.body).dcMedia.map((m) => m.port);
    t.strictSame(ports, [52718, 0], 'the first DC m-line fits and passes, the one that goes over reaches the callee refused');
    l.callee.reply(atCallee, 486, 'Busy Here', { toTag: 'c' });
  });

  t.test('a standalone DC offer (no audio) whose every line is refused is answered 488 and reaches nobody', { skip }, async (t) => {
    const l = await lab(t);
    const dcOnly = offer({ channels: [ADS] }).replace(/m=audio[\s\S]*?(?=m=application)/, '');
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'dc-only', body: dcOnly }), l.to);
    const answer = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status >= 300 && getHeader(m, 'Call-ID') === 'dc-only');
    t.equal(answer.status, 488, 'the AS gets 488');
    t.match(getHeader(answer, 'Warning') ?? '', /dc\.app-not-granted/, 'with the reason codes');
    t.notOk(l.callee.received.some((m) => m.kind === 'request' && m.method === 'INVITE'), 'no offer of nothing reached the callee');
  });

  t.test('a binary part crosses between trusted peers byte for byte; toward the AS it is removed', { skip }, async (t) => {
    const l = await lab(t);
    const sdp = offer({ channels: [BOOTSTRAP] });
    const body = multipart('sipi', [['application/sdp', sdp], ['application/isup; version=itu-t92+', isup]]);
    l.caller.send(dialogRequest(l.caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'binary-core', contentType: 'multipart/mixed;boundary=sipi', body }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    t.equal(atCallee.body, body, 'the multipart body arrives byte-exact, the ISUP part with every byte value');
    l.callee.reply(atCallee, 486, 'Busy Here', { toTag: 'c' });

    l.caller.send(
      dialogRequest(l.caller, {
        uri: 'sip:+15550002222@ims.example.net',
        callId: 'binary-to-as',
        route: [`<${l.guardUri};lr;as=weather-as>`, `<sip:127.0.0.2:${l.callee.port};lr>`],
        contentType: 'multipart/mixed;boundary=sipi',
        body,
      }),
      l.to,
    );
    const atAs = await l.as.nextRequest('INVITE');
    t.notOk(atAs.body.includes(isup.slice(0, 32)), 'the ISUP part (it carries both numbers) does not reach the AS');
    t.match(atAs.body, /m=audio/, 'the SDP does');
    t.notMatch(atAs.body, /o=alice|192\.0\.2\.10 *\r?\ns=/, "the SDP's o= no longer names the user");
  });
}

/**
 * The AS in the loop (the core hands it a call with `;as=weather-as`; it brings the call back
 * with the guard's route token): what it answers, what it sends back, where it points the dialog.
 */
export function defineAsLoopAttacks(t: Test, frontEnd: () => FrontEndUnderTest, options: AttackSuiteOptions): void {
  const { skip } = options;
  const parseSkip = options.guardOwnsStack === false ? 'drachtio-server answers this INVITE 400 itself' : skip;
  const routeSkip = options.guardOwnsStack === false ? "drachtio-server routes in-dialog requests by its own dialog's route set (README, Front ends)" : skip;
  const lab = labs(frontEnd, options.firstPort);

  /** The caller hands a call to the AS; resolves with the INVITE the AS got and the Route set it is to go on with. */
  async function handToAs(l: Lab, callId: string, extra: { headers?: SipRequest['headers']; body?: string } = {}): Promise<{ atAs: SipRequest; onward: string[] }> {
    l.caller.send(
      dialogRequest(l.caller, {
        uri: 'sip:+15550002222@ims.example.net',
        callId,
        route: [`<${l.guardUri};lr;as=weather-as>`, `<sip:127.0.0.2:${l.callee.port};lr>`],
        ...(extra.headers === undefined ? {} : { headers: extra.headers }),
        ...(extra.body === undefined ? {} : { body: extra.body }),
      }),
      l.to,
    );
    const atAs = await l.as.nextRequest('INVITE');
    const routes = atAs.headers.filter((h) => h.name === 'Route').flatMap((h) => h.value.split(/,(?=\s*<)/).map((r) => r.trim()));
    return { atAs, onward: routes.slice(1) };
  }

  t.test('an offer the AS puts in a 200 to an offerless re-INVITE is policed like its own re-INVITE', { skip }, async (t) => {
    const l = await lab(t);
    const { atAs } = await handToAs(l, 'loop-late-offer', { body: offer({ channels: [BOOTSTRAP] }) });
    l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: offer({ channels: [BOOTSTRAP], username: 'as' }) });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    const dialog = callerDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.as.nextRequest('ACK');
    // A session refresh without SDP: the AS answers with an offer that drops the core's bootstrap and adds its own.
    l.caller.send(inDialog(l.caller, dialog, { method: 'INVITE', cseq: 2 }), l.to);
    const reInvite = await l.as.nextRequest('INVITE');
    l.as.reply(reInvite, 200, 'OK', { body: offer({ channels: [ADS], username: 'as', version: 2, bandwidth: 50_000 }) });
    const answer = await l.caller.next<SipResponse>((m) => m.kind === 'response' && m.status === 200 && (getHeader(m, 'CSeq') ?? '').startsWith('2 '));
    const view = readSdp(answer.body);
    t.ok(view.dcMedia.every((m) => m.port === 0 || m.channels.every((c) => c.appId === 'com.example.weather')), 'no ungranted channel reaches the caller open');
    t.ok(decisions(l.guard, 'dialog.modify-not-granted').length + decisions(l.guard, 'dc.app-not-granted').length >= 1, 'and the refusal is logged');
  });

  t.test('the AS cannot turn a channel into another application, in its re-offer or in its answer', { skip }, async (t) => {
    const l = await lab(t);
    // The answer: the core offers a bootstrap; the AS answers stream 0 as an app of its own.
    const { atAs } = await handToAs(l, 'loop-morph', { body: offer({ channels: [BOOTSTRAP] }) });
    const morphed = offer({ channels: [{ stream: 0, sub: 'x-app', label: 'evil', app: 'com.evil.x' }], username: 'as' });
    l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: morphed });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    t.notMatch(ok.body, /com\.evil\.x/, 'the answer does not redirect the bootstrap stream');
    t.ok(decisions(l.guard, 'dc.answer-app-changed').length >= 1, 'logged');

    // The re-offer: the AS owns a granted weather channel and turns it into ads in place.
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'morph-reoffer', body: offer({ channels: [WEATHER], username: 'as' }) }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: atCallee.body.replace(/o=\S+/, 'o=bob') });
    const answered = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status === 200 && getHeader(m, 'Call-ID') === 'morph-reoffer');
    const dialog = callerDialog(answered);
    l.as.send(inDialog(l.as, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.callee.nextRequest('ACK');
    const ads = offer({ channels: [{ ...WEATHER, app: 'com.example.ads' }], username: 'as', version: 2 });
    l.as.send(inDialog(l.as, dialog, { method: 'INVITE', cseq: 2, body: ads }), l.to);
    const outcome = await Promise.race([
      l.as.next((m) => m.kind === 'response' && m.status >= 300 && (getHeader(m, 'CSeq') ?? '').startsWith('2 ')).then(() => null),
      l.callee.nextRequest('INVITE'),
    ]);
    if (outcome !== null) {
      l.callee.reply(outcome, 200, 'OK', { body: outcome.body.replace(/o=\S+/, 'o=bob') });
    }
    t.notOk(
      l.callee.received.some((m) => m.kind === 'request' && m.body.includes('com.example.ads')),
      'the callee never gets the channel as com.example.ads',
    );
  });

  t.test('a route token brings its call back once; a failed return gives the AS no BYE to relay', { skip }, async (t) => {
    const l = await lab(t);
    const { atAs, onward } = await handToAs(l, 'loop-token');
    const back = (callId: string, uri: string): SipRequest => dialogRequest(l.as, { uri, callId, route: onward, fromTag: callId });
    l.as.send(back('as-return-1', atAs.uri), l.to);
    const first = await l.callee.nextRequest('INVITE');
    l.as.send(back('as-return-2', 'tel:+19005550199'), l.to);
    const second = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status >= 300 && getHeader(m, 'Call-ID') === 'as-return-2');
    t.equal(second.status, 403, 'a second call on a token whose return is live: 403');

    // The token with `;as=` would hand the call to a peer of the AS's choosing.
    const handOn = onward.map((r, i) => (i === 0 ? r.replace(/>$/, ';as=weather-as>') : r));
    l.as.send(dialogRequest(l.as, { uri: atAs.uri, callId: 'as-return-3', route: handOn, fromTag: 'as-return-3' }), l.to);
    const handed = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status >= 300 && getHeader(m, 'Call-ID') === 'as-return-3');
    t.equal(handed.status, 403, 'a token with ;as= does not hand the call on: 403');
    t.match(getHeader(handed, 'Warning') ?? '', /route\.not-allowed/, 'refused as a route the AS may not choose');

    // The return fails; the AS answers the caller itself and then tries to end the call.
    l.callee.reply(first, 404, 'Not Found', { toTag: 'c' });
    await l.as.next((m) => m.kind === 'response' && m.status === 404);
    l.as.reply(atAs, 200, 'OK', { toTag: 'as' });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    const dialog = callerDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.as.nextRequest('ACK');
    const asDialog = answererDialog(atAs, 'as');
    l.as.send(inDialog(l.as, asDialog, { method: 'BYE', cseq: 1 }), l.to);
    t.equal((await l.as.nextResponse((s) => s >= 200, 'BYE')).status, 403, 'BYE without terminate: 403, the failed return relayed no hang-up');
    t.notOk(await l.caller.gotWithin((m) => m.kind === 'request' && m.method === 'BYE'), 'the caller got no BYE');
  });

  t.test('identity in header parameters and Reason text does not reach the AS', { skip: parseSkip }, async (t) => {
    const l = await lab(t);
    const { atAs } = await handToAs(l, 'loop-params', {
      headers: [
        { name: 'P-Asserted-Identity', value: '"Alice Smith" <sip:+15550001111@ims.example.net>;x-imsi=310150123456789' },
        { name: 'Reason', value: 'SIP;cause=302;text="forwarded from +15550001111 (Alice Smith)"' },
        { name: 'Accept-Contact', value: '*;+sip.instance="<urn:gsma:imei:35209900-176148-1>"' },
      ],
    });
    const wire = atAs.headers.map((h) => `${h.name}: ${h.value}`).join('\n');
    t.notMatch(wire, /15550001111|310150123456789|35209900|Alice/, 'no number, IMSI, IMEI or name');
    t.match(getHeader(atAs, 'Reason') ?? '', /^SIP;cause=302$/, 'Reason keeps its cause only');
  });

  t.test('the AS cannot ACK its own offer, nor PRACK outside an early dialog', { skip }, async (t) => {
    const l = await lab(t);
    // An offerless INVITE: the AS offers in its 200; the answer is the caller's, in the ACK.
    const { atAs } = await handToAs(l, 'loop-own-ack');
    l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: offer({ channels: [WEATHER], username: 'as' }) });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    const asDialog = answererDialog(atAs, 'as');
    l.as.send(inDialog(l.as, asDialog, { method: 'ACK', cseq: 1, body: offer({ channels: [WEATHER], username: 'as' }) }), l.to);
    t.notOk(await l.caller.gotWithin((m) => m.kind === 'request' && m.method === 'ACK'), 'an ACK from the side that did not send the INVITE reaches nobody');
    const dialog = callerDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1, body: offer({ channels: [WEATHER], dcPort: 0, username: 'alice' }) }), l.to);
    const ack = await l.as.nextRequest('ACK');
    t.ok(readSdp(ack.body).dcMedia.every((m) => m.port === 0), "the caller's answer is the one that counts");
    l.as.send(inDialog(l.as, asDialog, { method: 'PRACK', cseq: 2, headers: [{ name: 'RAck', value: '1 1 INVITE' }] }), l.to);
    t.equal((await l.as.nextResponse((st) => st >= 200, 'PRACK')).status, 481, 'a PRACK in a confirmed dialog: 481');
  });

  t.test('after an early answer and a renegotiation, an SDP the AS slips into its 200 answers nothing and does not pass', { skip }, async (t) => {
    const l = await lab(t);
    const { atAs } = await handToAs(l, 'loop-late-sdp', { body: offer({ channels: [WEATHER] }) });
    // The AS answers early (183); the caller re-offers in the early dialog (UPDATE, RFC 3311) and the AS answers that.
    l.as.reply(atAs, 183, 'Session Progress', { toTag: 'as', body: offer({ channels: [WEATHER], username: 'as' }) });
    const early = await l.caller.nextResponse(183, 'INVITE');
    l.caller.send(inDialog(l.caller, callerDialog(early), { method: 'UPDATE', cseq: 2, body: offer({ channels: [WEATHER], version: 2 }) }), l.to);
    const update = await l.as.nextRequest('UPDATE');
    l.as.reply(update, 200, 'OK', { body: offer({ channels: [WEATHER], username: 'as', version: 2 }) });
    await l.caller.nextResponse(200, 'UPDATE');
    // The INVITE's offer was answered by the 183 and is no longer the leg's: nothing to check this SDP against.
    l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: offer({ channels: [WEATHER, ADS], username: 'as', version: 3 }) });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    t.notMatch(ok.body, /com\.example\.ads/, 'the channel nobody offered does not reach the caller');
    t.equal(ok.body, '', 'nor any SDP of that 200: the caller ignores it anyway (RFC 6337 3.1)');
    t.ok(decisions(l.guard, 'sdp.answer-unverifiable').length > 0, 'and the decision log says why');
  });

  t.test('channels of a re-offer the other side refused are no baseline for the next one (max_channels holds)', { skip }, async (t) => {
    const l = await lab(t);
    const { atAs } = await handToAs(l, 'loop-cap', { body: offer({ channels: [BOOTSTRAP] }) });
    l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: offer({ channels: [BOOTSTRAP], username: 'as' }) });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    const dialog = callerDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.as.nextRequest('ACK');
    const asDialog = answererDialog(atAs, 'as');
    const weather = (streams: number[]) => streams.map((stream) => ({ ...WEATHER, stream, label: `w${stream}` }));
    // Four weather channels (the cap): forwarded, and the caller refuses the re-offer.
    const four = offer({ channels: [BOOTSTRAP], username: 'as', version: 2, extraDc: [{ channels: weather([1000, 1002, 1004, 1006]) }] });
    l.as.send(inDialog(l.as, asDialog, { method: 'INVITE', cseq: 2, body: four }), l.to);
    const first = await l.caller.nextRequest('INVITE');
    l.caller.reply(first, 488, 'Not Acceptable Here');
    await l.as.next((m) => m.kind === 'response' && m.status === 488);
    // Eight: the four refused ones are not "already there".
    const eight = offer({ channels: [BOOTSTRAP], username: 'as', version: 3, extraDc: [{ channels: weather([1000, 1002, 1004, 1006, 1008, 1010, 1012, 1014]) }] });
    l.as.send(inDialog(l.as, asDialog, { method: 'INVITE', cseq: 3, body: eight }), l.to);
    const second = await Promise.race([
      l.caller.nextRequest('INVITE'),
      l.as.next((m) => m.kind === 'response' && m.status >= 300 && (getHeader(m, 'CSeq') ?? '').startsWith('3 ')).then(() => null),
    ]);
    const open = second === null ? 0 : readSdp(second.body).dcMedia.filter((m) => m.port !== 0).reduce((n, m) => n + m.channels.filter((c) => c.kind === 'application').length, 0);
    t.ok(open <= 4, `at most max_channels (4) application channels reach the caller (got ${open})`);
  });

  t.test("in glare, a refused re-offer of the AS does not make the guard forget what the core's re-offer set up", { skip }, async (t) => {
    const l = await lab(t);
    const { atAs } = await handToAs(l, 'loop-glare', { body: offer({ channels: [WEATHER] }) });
    l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: offer({ channels: [WEATHER], username: 'as' }) });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    const dialog = callerDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.as.nextRequest('ACK');
    const asDialog = answererDialog(atAs, 'as');
    // The core adds its bootstrap; at the same time the AS sends a re-offer of its own.
    l.caller.send(inDialog(l.caller, dialog, { method: 'INVITE', cseq: 2, body: offer({ channels: [WEATHER, BOOTSTRAP], version: 2 }) }), l.to);
    const coreReInvite = await l.as.nextRequest('INVITE');
    l.as.send(inDialog(l.as, asDialog, { method: 'INVITE', cseq: 1, body: offer({ channels: [WEATHER], username: 'as', version: 2 }) }), l.to);
    const asReInvite = await l.caller.nextRequest('INVITE');
    l.as.reply(coreReInvite, 200, 'OK', { body: offer({ channels: [WEATHER, BOOTSTRAP], username: 'as', version: 3 }) });
    await l.caller.next((m) => m.kind === 'response' && m.status === 200 && (getHeader(m, 'CSeq') ?? '').startsWith('2 '));
    l.caller.reply(asReInvite, 491, 'Request Pending');
    await l.as.next((m) => m.kind === 'response' && m.status === 491);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 2 }), l.to);
    // The AS re-offers what was agreed, with a new audio port: the core's bootstrap is no addition of its own.
    l.as.send(inDialog(l.as, asDialog, { method: 'INVITE', cseq: 2, body: offer({ channels: [WEATHER, BOOTSTRAP], username: 'as', version: 4, audioPort: 49180 }) }), l.to);
    const again = await l.caller.next<SipRequest>((m) => m.kind === 'request' && m.method === 'INVITE' && m !== asReInvite);
    t.match(again.body, /a=dcmap:0 subprotocol="http"/, "the core's bootstrap is still there");
    t.notOk(decisions(l.guard, 'dc.bootstrap-not-granted').length > 0, 'and not refused as the AS adding it');
  });

  t.test('the AS cannot assert as P-Asserted-Identity what it was only shown (the callee\'s Request-URI)', { skip }, async (t) => {
    const l = await lab(t);
    const { atAs, onward } = await handToAs(l, 'loop-ruri-pai');
    const rUriPseudonym = atAs.uri;
    t.match(rUriPseudonym, /pseudonym\.invalid|anonymous/, 'the AS was shown a pseudonym for the callee');
    l.as.send(dialogRequest(l.as, { uri: atAs.uri, callId: 'ruri-pai-return', route: onward, fromTag: 'rp' }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee' });
    const ok = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status === 200 && getHeader(m, 'Call-ID') === 'ruri-pai-return');
    const dialog = callerDialog(ok);
    l.as.send(inDialog(l.as, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.callee.nextRequest('ACK');
    // On the returned leg, an INFO asserting the pseudonym it was given for the callee's Request-URI.
    l.as.send(inDialog(l.as, dialog, { method: 'INFO', cseq: 2, headers: [{ name: 'P-Asserted-Identity', value: `<${rUriPseudonym}>` }] }), l.to);
    const info = await l.callee.nextRequest('INFO');
    t.notMatch(getHeader(info, 'P-Asserted-Identity') ?? '', /15550002222/, 'the callee is not told it is calling itself');
  });

  t.test("the AS's answer is held to its bandwidth grant", { skip }, async (t) => {
    const l = await lab(t);
    const { atAs } = await handToAs(l, 'loop-answer-bw', { body: offer({ channels: [BOOTSTRAP], bandwidth: 64 }) });
    l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: offer({ channels: [BOOTSTRAP], username: 'as', bandwidth: 900_000 }) });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    t.ok(readSdp(ok.body).dcMedia.every((m) => m.port === 0), 'a DC m-line answered at b=AS:900000 (cap 256, offered 64) reaches the caller refused');
    t.ok(decisions(l.guard, 'dc.cap-bandwidth').length >= 1, 'logged');

    // Not a false alarm: relaying the callee's own answer (b=AS:500) through the loop, or an answer without b=AS.
    const relay = await handToAs(l, 'loop-answer-relay', { body: offer({ channels: [BOOTSTRAP], bandwidth: 64 }) });
    l.as.send(dialogRequest(l.as, { uri: relay.atAs.uri, callId: 'relay-return', route: relay.onward, fromTag: 'rr', body: relay.atAs.body }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob', bandwidth: 500 }) });
    const calleeAnswer = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status === 200 && getHeader(m, 'Call-ID') === 'relay-return');
    l.as.reply(relay.atAs, 200, 'OK', { toTag: 'as', body: calleeAnswer.body });
    const relayed = await l.caller.next<SipResponse>((m) => m.kind === 'response' && m.status === 200 && getHeader(m, 'Call-ID') === 'loop-answer-relay');
    t.ok(readSdp(relayed.body).dcMedia.every((m) => m.port !== 0), "the callee's answer relayed by the AS keeps its DC");
  });

  t.test('the AS cannot make the core see an identity of its choosing', { skip }, async (t) => {
    const l = await lab(t);
    const { atAs } = await handToAs(l, 'loop-assert', {
      headers: [{ name: 'P-Asserted-Identity', value: '"Alice" <sip:+15550001111@ims.example.net>' }],
    });
    const callerPseudonym = getHeader(atAs, 'P-Asserted-Identity') ?? '';
    t.match(callerPseudonym, /pseudonym\.invalid/, 'the AS got a pseudonym for the caller');
    // Its 200 asserts the caller's own pseudonym as the answerer, and diversion history of its own.
    l.as.reply(atAs, 200, 'OK', {
      toTag: 'as',
      headers: [
        { name: 'P-Asserted-Identity', value: callerPseudonym },
        { name: 'Diversion', value: '<tel:+19998887777>;reason=unconditional;counter=1' },
        { name: 'History-Info', value: '<sip:+19998887777@ims.example.net>;index=1' },
        { name: 'P-Called-Party-ID', value: '<sip:+19998887777@ims.example.net>' },
      ],
    });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    t.equal(getHeader(ok, 'P-Asserted-Identity'), undefined, "the caller's pseudonym does not come back as the answerer's identity");
    for (const name of ['Diversion', 'History-Info', 'P-Called-Party-ID']) {
      t.equal(getHeader(ok, name), undefined, `the AS's own ${name} does not reach the caller`);
    }
  });

  t.test('on a call the AS originates, its Contact does not choose where the callee\'s requests go', { skip }, async (t) => {
    const l = await lab(t);
    const invite = dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'as-contact' });
    invite.headers = invite.headers.map((h) => (h.name === 'Contact' ? { name: 'Contact', value: `<sip:${l.victim.ip}:${l.victim.port}>` } : h));
    l.as.send(invite, l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee' });
    await l.as.nextResponse(200, 'INVITE');
    const calleeDialog = answererDialog(atCallee, 'callee');
    l.callee.send(inDialog(l.callee, calleeDialog, { method: 'BYE', cseq: 1 }), l.to);
    t.ok(await l.as.nextRequest('BYE'), "the callee's BYE goes to the AS");
    t.notOk(await l.victim.gotWithin(() => true), 'not to the host its Contact named');
  });

  t.test("the AS cannot point the caller's in-dialog requests at another host", { skip: routeSkip }, async (t) => {
    const l = await lab(t);
    const { atAs } = await handToAs(l, 'loop-contact', { body: offer({ channels: [BOOTSTRAP] }) });
    const elsewhere = `sip:${l.victim.ip}:${l.victim.port}`;
    l.as.reply(atAs, 200, 'OK', {
      toTag: 'as',
      body: offer({ channels: [BOOTSTRAP], username: 'as' }),
      headers: [{ name: 'Record-Route', value: `<${elsewhere};lr>` }],
    });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    const dialog = callerDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1 }), l.to);
    l.caller.send(inDialog(l.caller, dialog, { method: 'BYE', cseq: 2 }), l.to);
    const bye = await l.as.nextRequest('BYE');
    t.ok(bye, "the caller's BYE goes to the AS's own address");
    t.notOk(await l.victim.gotWithin(() => true), 'nothing reaches the host the AS named');
  });
}
