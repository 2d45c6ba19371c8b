/**
 * Forking (RFC 3261 13.2.2.4) and session timers (RFC 4028) on the wire, written once and run
 * on each front end: scripted peers on their own loopback addresses (caller 127.0.0.1, callee or
 * forking point 127.0.0.2, weather-as 127.0.0.3) and SIPp. The controller's clock is moved on
 * where a session must run out; the sweep runs every 100 ms.
 */
import type { Test } from 'tap';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import type { FrontEndUnderTest, GuardUnderTest } from './flow-suite.ts';
import { BOOTSTRAP, offer } from './sdp-builder.ts';
import { addrUri, dialogRequest, inDialog, SipPeer, tagOfHeader, viaTarget } from './sip-peer.ts';
import { runSipp, settle } from './sipp.ts';

export interface DialogSuiteOptions {
  readonly skip: false | string;
  /** Each test uses 10 ports from here. */
  readonly firstPort: number;
  /** Why a later fork's 2xx never reaches the guard on this front end (its SIP stack takes it), or false. */
  readonly forkSkip: false | string;
  /** False where the SIP stack is another's: retransmissions are then its own. */
  readonly guardOwnsStack: boolean;
}

interface DialogLab {
  readonly guard: GuardUnderTest;
  readonly to: { readonly address: string; readonly port: number };
  readonly caller: SipPeer;
  readonly callee: SipPeer;
  readonly as: SipPeer;
  readonly guardUri: string;
  readonly base: number;
  /** Moves the controller's clock on. */
  ahead(ms: number): void;
}

function decisions(guard: GuardUnderTest, code: string): Record<string, unknown>[] {
  return guard.logs.filter((l) => l.msg === 'decision' && JSON.stringify(l.reasons ?? []).includes(`"${code}"`));
}

async function eventually(check: () => boolean, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/** The caller's dialog after a 2xx (RFC 3261 12.1.2). */
function callerDialog(ok: SipResponse): Parameters<typeof inDialog>[1] {
  return { callId: getHeader(ok, 'Call-ID') ?? '', localUri: getHeader(ok, 'From') ?? '', remoteUri: getHeader(ok, 'To') ?? '', remoteTarget: addrUri(getHeader(ok, 'Contact')) };
}

const isRequest = (method: string, pred: (r: SipRequest) => boolean = () => true) => (m: SipMessage): boolean => m.kind === 'request' && m.method === method && pred(m);
const toTagIs = (tag: string) => (r: SipRequest): boolean => tagOfHeader(getHeader(r, 'To')) === tag;

export function defineDialogFlows(t: Test, frontEnd: () => FrontEndUnderTest, options: DialogSuiteOptions): void {
  const { skip } = options;
  const forkSkip = skip === false ? options.forkSkip : skip;
  let nextPort = options.firstPort;

  /** A guard on 10 ports of its own, with a clock the test moves on; the callee (next hop) on `base + 2`. */
  async function guardLab(t: Test): Promise<Pick<DialogLab, 'guard' | 'to' | 'guardUri' | 'base' | 'ahead'>> {
    const base = nextPort;
    nextPort += 10;
    let ahead = 0;
    const fe = frontEnd();
    const { guard, port } = await fe.start({ port: base, calleePort: base + 2, asPort: base + 3, clock: { now: () => Date.now() + ahead, sweepIntervalMs: 100 } });
    t.teardown(() => guard.stop());
    return { guard, to: { address: fe.guardIp, port }, guardUri: `sip:${fe.guardIp}:${port}`, base, ahead: (ms) => (ahead += ms) };
  }

  async function lab(t: Test): Promise<DialogLab> {
    const g = await guardLab(t);
    const peers = await Promise.all([SipPeer.start('127.0.0.1', g.base + 1), SipPeer.start('127.0.0.2', g.base + 2), SipPeer.start('127.0.0.3', g.base + 3)]);
    const [caller, callee, as] = peers;
    t.teardown(() => {
      for (const peer of peers) {
        peer.close();
      }
    });
    return { ...g, caller, callee, as };
  }

  /** caller -> guard -> callee, answered 200 by the callee with `okHeaders`, ACKed: both dialogs as their UAs hold them. */
  async function answeredCall(l: DialogLab, callId: string, inviteHeaders: { name: string; value: string }[], okHeaders: { name: string; value: string }[]) {
    const sent = dialogRequest(l.caller, { uri: 'sip:+15550002222@ims.example.net', callId, body: offer({ channels: [BOOTSTRAP] }), headers: inviteHeaders });
    l.caller.send(sent, l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob' }), headers: okHeaders });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    const dialog = callerDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.callee.nextRequest('ACK');
    return { sent, atCallee, ok, dialog };
  }

  t.test("forking: a second fork's 2xx gets ACK then BYE from the guard, never reaches the caller", { skip: forkSkip }, async (t) => {
    const l = await lab(t);
    l.caller.send(dialogRequest(l.caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'fork-1', body: offer({ channels: [BOOTSTRAP] }) }), l.to);
    const atFork = await l.callee.nextRequest('INVITE');
    // The forking point: two UASes answer, each with its own To tag.
    l.callee.reply(atFork, 180, 'Ringing', { toTag: 'fork-a' });
    l.callee.reply(atFork, 180, 'Ringing', { toTag: 'fork-b' });
    l.callee.reply(atFork, 200, 'OK', { toTag: 'fork-a', body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    const forkB = l.callee.response(atFork, 200, 'OK', { toTag: 'fork-b', body: offer({ channels: [BOOTSTRAP], username: 'carol' }) });
    l.callee.send(forkB, viaTarget(atFork));
    const ackB = await l.callee.next<SipRequest>(isRequest('ACK', toTagIs('fork-b')));
    const byeB = await l.callee.next<SipRequest>(isRequest('BYE', toTagIs('fork-b')));
    t.equal(getHeader(ackB, 'Call-ID'), getHeader(atFork, 'Call-ID'), "the guard's ACK is on the fork's dialog");
    t.equal(tagOfHeader(getHeader(ackB, 'From')), tagOfHeader(getHeader(atFork, 'From')));
    t.equal(getHeader(ackB, 'CSeq'), `${(getHeader(atFork, 'CSeq') ?? '').split(' ')[0]} ACK`);
    t.equal(getHeader(byeB, 'CSeq'), `${Number((getHeader(atFork, 'CSeq') ?? '').split(' ')[0]) + 1} BYE`);
    t.ok(l.callee.received.indexOf(ackB) < l.callee.received.indexOf(byeB), 'ACK first, then BYE');
    if (options.guardOwnsStack) {
      // The fork's UAS retransmits its 2xx once more (the ACK crossed it): it gets the same ACK again, never a relay.
      l.callee.send(forkB, viaTarget(atFork));
      const again = await l.callee.next<SipRequest>(isRequest('ACK', toTagIs('fork-b')));
      t.equal(getHeader(again, 'Via'), getHeader(ackB, 'Via'), 'the same ACK');
    }
    l.callee.reply(byeB, 200, 'OK');
    t.ok(decisions(l.guard, 'dialog.forked-answer').length >= 1, 'the decision line says why');
    // (The guard retransmits its own 200 until the caller's ACK: the same dialog, the same To tag.)
    const okTag = tagOfHeader(getHeader(ok, 'To'));
    const otherDialog = (m: SipMessage): boolean => m.kind === 'response' && m.status === 200 && (tagOfHeader(getHeader(m, 'To')) !== okTag || m.body !== ok.body);
    t.notOk(await l.caller.gotWithin(otherDialog), "the caller got one dialog's 200 only");
    // The call itself is the first fork's, and ends normally.
    const dialog = callerDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1 }), l.to);
    t.equal(tagOfHeader(getHeader(await l.callee.next<SipRequest>(isRequest('ACK', toTagIs('fork-a'))), 'To')), 'fork-a');
    l.caller.send(inDialog(l.caller, dialog, { method: 'BYE', cseq: 2 }), l.to);
    const bye = await l.callee.next<SipRequest>(isRequest('BYE', toTagIs('fork-a')));
    l.callee.reply(bye, 200, 'OK');
    await l.caller.nextResponse(200, 'BYE');
    t.ok(await eventually(() => l.guard.store.size === 0), 'no state left');
  });

  t.test('forking, SIPp caller: the scripted fork gets ACK and BYE for its second 2xx; sipp sees one dialog', { skip: forkSkip }, async (t) => {
    const l = await lab(t);
    const fork = (async () => {
      const atFork = await l.callee.nextRequest('INVITE', 10_000);
      l.callee.reply(atFork, 200, 'OK', { toTag: 'fork-a', body: sippAnswer() });
      l.callee.reply(atFork, 200, 'OK', { toTag: 'fork-b', body: sippAnswer() });
      const byeB = await l.callee.next<SipRequest>(isRequest('BYE', toTagIs('fork-b')));
      l.callee.reply(byeB, 200, 'OK');
      const byeA = await l.callee.next<SipRequest>(isRequest('BYE', toTagIs('fork-a')), 10_000);
      l.callee.reply(byeA, 200, 'OK');
    })();
    const uac = await runSipp({ scenario: 'uac-trusted-bootstrap-expect-200.xml', localIp: '127.0.0.1', localPort: l.base + 5, remote: `${l.to.address}:${l.to.port}` });
    t.equal(uac.code, 0, 'sipp passed: one 200, nothing unexpected', { errors: uac.errors, output: uac.output.slice(-3000) });
    await fork;
    t.ok(l.callee.received.some(isRequest('ACK', toTagIs('fork-b'))), 'the second fork was ACKed');
    t.ok(l.callee.received.some(isRequest('ACK', toTagIs('fork-a'))), "the first fork got the caller's ACK");
    t.ok(await eventually(() => l.guard.store.size === 0), 'no state left');
  });

  t.test('session timers: a Session-Expires of 1 s from the AS gets 422 with Min-SE, the guard floor', { skip }, async (t) => {
    const l = await lab(t);
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'se-attack', body: offer({ channels: [BOOTSTRAP] }), headers: [{ name: 'Session-Expires', value: '1;refresher=uas' }, { name: 'Min-SE', value: '1' }] }), l.to);
    const refused = await l.as.nextResponse((s) => s >= 200, 'INVITE');
    t.equal(refused.status, 422);
    t.equal(getHeader(refused, 'Min-SE'), '90');
    t.notOk(await l.callee.gotWithin(isRequest('INVITE')), 'the callee saw nothing');
    t.ok(decisions(l.guard, 'session.interval-too-small').length >= 1, 'decision line');

    // Inside a call the AS set up with a sane interval, a refresh asking for 1 s is refused too.
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'se-attack-2', body: offer({ channels: [BOOTSTRAP] }), headers: [{ name: 'Session-Expires', value: '1800;refresher=uac' }] }), l.to);
    const atCallee = await l.callee.nextRequest('INVITE');
    t.equal(getHeader(atCallee, 'Min-SE'), '90', 'the INVITE goes on with the guard floor as Min-SE');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob' }), headers: [{ name: 'Session-Expires', value: '1800;refresher=uac' }] });
    const ok = await l.as.nextResponse(200, 'INVITE');
    const dialog = callerDialog(ok);
    l.as.send(inDialog(l.as, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.callee.nextRequest('ACK');
    l.as.send(inDialog(l.as, dialog, { method: 'INVITE', cseq: 2, body: offer({ channels: [BOOTSTRAP], version: 2 }), headers: [{ name: 'Session-Expires', value: '1;refresher=uac' }] }), l.to);
    t.equal((await l.as.nextResponse((s) => s >= 200, 'INVITE')).status, 422, 'the refresh asking for 1 s gets 422');
    t.notOk(await l.callee.gotWithin(isRequest('INVITE', (r) => r !== atCallee)), 'and reaches nobody');
    l.ahead(60_000);
    await settle(400);
    t.equal(l.guard.store.size, 1, 'the call is not torn down: its interval is 1800 s');
  });

  t.test("session timers: an AS answering with Session-Expires 2 s cannot make the call end in 2 s", { skip }, async (t) => {
    const l = await lab(t);
    l.caller.send(
      dialogRequest(l.caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'se-answer', body: offer({ channels: [BOOTSTRAP] }), route: [`<${l.guardUri};lr;as=weather-as>`], headers: [{ name: 'Session-Expires', value: '1800' }, { name: 'Supported', value: 'timer' }] }),
      l.to,
    );
    const atAs = await l.as.nextRequest('INVITE');
    l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: offer({ channels: [BOOTSTRAP] }), headers: [{ name: 'Session-Expires', value: '2;refresher=uas' }, { name: 'Require', value: 'timer' }] });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    t.equal(getHeader(ok, 'Session-Expires'), '90;refresher=uas', 'the caller gets the guard floor');
    l.caller.send(inDialog(l.caller, callerDialog(ok), { method: 'ACK', cseq: 1 }), l.to);
    await l.as.nextRequest('ACK');
    l.ahead(30_000);
    t.notOk(await l.caller.gotWithin(isRequest('BYE')), 'no BYE 30 s on');
    t.equal(l.guard.store.size, 1);
  });

  t.test('session timers: no refresh in time: BYE on both legs, state and counts freed, a decision line', { skip }, async (t) => {
    const l = await lab(t);
    const { sent, ok, atCallee } = await answeredCall(l, 'se-expire', [{ name: 'Session-Expires', value: '90;refresher=uac' }, { name: 'Supported', value: 'timer' }], [{ name: 'Session-Expires', value: '90;refresher=uac' }, { name: 'Require', value: 'timer' }]);
    t.equal(getHeader(ok, 'Session-Expires'), '90;refresher=uac', 'relayed end to end');
    l.ahead(91_000);
    const [atCaller, atCalleeBye] = await Promise.all([l.caller.nextRequest('BYE'), l.callee.nextRequest('BYE')]);
    t.equal(getHeader(atCaller, 'Call-ID'), getHeader(sent, 'Call-ID'), "the caller's BYE is on its dialog");
    t.equal(tagOfHeader(getHeader(atCaller, 'To')), 'caller');
    t.equal(tagOfHeader(getHeader(atCaller, 'From')), tagOfHeader(getHeader(ok, 'To')));
    t.equal(getHeader(atCalleeBye, 'Call-ID'), getHeader(atCallee, 'Call-ID'), "the callee's on its own");
    t.equal(tagOfHeader(getHeader(atCalleeBye, 'To')), 'callee');
    l.caller.reply(atCaller, 200, 'OK');
    l.callee.reply(atCalleeBye, 200, 'OK');
    t.ok(await eventually(() => l.guard.store.size === 0), 'the call state is gone');
    t.match(decisions(l.guard, 'session.expired')[0], { action: 'drop', message: 'BYE', reasons: [{ code: 'session.expired' }] }, 'one decision line says why');
  });

  t.test('session timers: a refreshed call lives on past its first interval', { skip }, async (t) => {
    const l = await lab(t);
    const { dialog } = await answeredCall(l, 'se-refresh', [{ name: 'Session-Expires', value: '90;refresher=uac' }], [{ name: 'Session-Expires', value: '90;refresher=uac' }]);
    l.ahead(60_000);
    l.caller.send(inDialog(l.caller, dialog, { method: 'UPDATE', cseq: 2, headers: [{ name: 'Session-Expires', value: '90;refresher=uac' }] }), l.to);
    const update = await l.callee.nextRequest('UPDATE');
    l.callee.reply(update, 200, 'OK', { headers: [{ name: 'Session-Expires', value: '90;refresher=uac' }] });
    await l.caller.nextResponse(200, 'UPDATE');
    l.ahead(60_000);
    t.notOk(await l.caller.gotWithin(isRequest('BYE')), '120 s after the answer, 60 s after the refresh: no BYE');
    t.notOk(l.callee.received.some(isRequest('BYE')));
    l.caller.send(inDialog(l.caller, dialog, { method: 'BYE', cseq: 3 }), l.to);
    const bye = await l.callee.nextRequest('BYE');
    l.callee.reply(bye, 200, 'OK');
    await l.caller.nextResponse(200, 'BYE');
    t.ok(await eventually(() => l.guard.store.size === 0));
  });

  t.test('session timers, SIPp: a short Session-Expires with the refresh withheld: sipp UAC and UAS both get a BYE', { skip }, async (t) => {
    const l = await guardLab(t);
    const uas = runSipp({ scenario: 'uas-session-timer-expect-bye.xml', localIp: '127.0.0.2', localPort: l.base + 2 });
    await settle();
    const uacRun = runSipp({ scenario: 'uac-session-timer-expect-bye.xml', localIp: '127.0.0.1', localPort: l.base + 1, remote: `${l.to.address}:${l.to.port}` });
    // Time moves on in steps once the call exists: whenever the 2xx came, its 90 s pass.
    await eventually(() => l.guard.store.size === 1, 5_000);
    for (let i = 0; i < 20 && l.guard.store.size > 0; i += 1) {
      l.ahead(50_000);
      await settle(300);
    }
    const [uac, callee] = await Promise.all([uacRun, uas]);
    t.equal(uac.code, 0, 'the caller got a BYE and answered it', { errors: uac.errors, output: uac.output.slice(-2000) });
    t.equal(callee.code, 0, 'the callee got a BYE and answered it', { errors: callee.errors, output: callee.output.slice(-2000) });
    t.equal(l.guard.store.size, 0, 'no state left');
    t.ok(decisions(l.guard, 'session.expired').length === 1, 'one decision line');
  });
}

/** The SDP a scripted fork answers sipp's bootstrap offer with (what uac-trusted-bootstrap-expect-200.xml checks). */
function sippAnswer(): string {
  return [
    'v=0',
    'o=bob 1 1 IN IP4 127.0.0.2',
    's=-',
    'c=IN IP4 127.0.0.2',
    't=0 0',
    'm=audio 6000 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    'm=application 52719 UDP/DTLS/SCTP webrtc-datachannel',
    'b=AS:200',
    'a=max-message-size:1024',
    'a=sctp-port:5000',
    'a=setup:active',
    'a=fingerprint:SHA-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF',
    'a=tls-id:bbc3de65cddef001be82',
    'a=dcmap:0 subprotocol="http"',
    '',
  ].join('\r\n');
}
