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
import { runSipp } from './sipp.ts';

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
