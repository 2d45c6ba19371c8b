import type { Test } from 'tap';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import { ScriptedAs } from './scripted-as.ts';
import { runSipp, settle, type SippResult } from './sipp.ts';

/**
 * The SIPp call flows, written once and run against each front end: sipp plays the core on
 * 127.0.0.1 (caller) and 127.0.0.2 (callee), and weather-as on 127.0.0.3 (see wireProfile).
 */

/** What a flow inspects of a running guard, whichever front end it is. */
export interface GuardUnderTest {
  readonly store: { readonly size: number };
  /** Every JSON log line the guard wrote. */
  readonly logs: Record<string, unknown>[];
  /** What a front end holds besides the call store (drachtio: its record of drachtio-server's state). */
  readonly leftovers?: () => Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * No call state left, in the controller's store or in the front end. sipp may exit a moment
 * before the guard has handled the last message of the call (on drachtio the caller's 487 comes
 * from drachtio-server itself, before the callee's 487 has crossed the guard), so it waits up to
 * two seconds for the state to go, then asserts.
 */
async function endedClean(t: Test, guard: GuardUnderTest, message = 'the ended call left no state'): Promise<void> {
  const empty = (): boolean => guard.store.size === 0 && Object.values(guard.leftovers?.() ?? {}).every((n) => n === 0);
  for (let waited = 0; !empty() && waited < 2_000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.equal(guard.store.size, 0, message);
  if (guard.leftovers !== undefined) {
    const left = guard.leftovers();
    t.same(left, Object.fromEntries(Object.keys(left).map((k) => [k, 0])), 'nor in the front end');
  }
}

export interface FlowWire {
  /** Where the flow would like the guard (a front end with a fixed SIP address ignores it). */
  readonly port: number;
  readonly calleePort: number;
  readonly asPort?: number;
  readonly onUnauthorizedDc?: 'strip' | 'reject';
  readonly calleeTransport?: 'udp' | 'tcp';
  /** The controller's clock and the abandoned-call sweep, for tests that move time on. */
  readonly clock?: GuardClock;
}

export interface GuardClock {
  readonly now: () => number;
  readonly sweepIntervalMs: number;
}

export interface FrontEndUnderTest {
  /** The guard's SIP address as the peers see it. */
  readonly guardIp: string;
  /**
   * True when the front end's own transport drops what a source no peer matches sends, before
   * parsing it (embedded, under unknown_peers: reject); else a stranger's request gets 403.
   */
  readonly dropsUnknownSources?: boolean;
  /** Starts a guard on a wireProfile for this flow; resolves with the port it answers on. */
  start(wire: FlowWire): Promise<{ guard: GuardUnderTest; port: number }>;
}

interface Flow {
  readonly uac: string;
  readonly uas: string | null;
  readonly from: string;
  readonly transport?: 'u1' | 't1';
  readonly onUnauthorizedDc?: 'strip' | 'reject';
}

function passed(t: Test, name: string, result: SippResult | null): void {
  if (result !== null) {
    t.equal(result.code, 0, `${name} sipp passed every check`, { errors: result.errors, output: result.output.slice(-3000) });
  }
}

/**
 * Defines the call flows as subtests of `t`. `frontEnd` is read when a flow runs, so a test
 * file can start what the front end needs in `t.before`. Each flow uses 10 ports from `firstPort`.
 */
export function defineCallFlows(t: Test, frontEnd: () => FrontEndUnderTest, options: { skip: false | string; firstPort: number }): void {
  const { skip } = options;
  let nextPort = options.firstPort;

  async function runFlow(t: Test, flow: Flow): Promise<{ uac: SippResult; uas: SippResult | null; guard: GuardUnderTest }> {
    const base = nextPort;
    nextPort += 10;
    const calleePort = base + 2;
    const tcp = flow.transport === 't1';
    const fe = frontEnd();
    const { guard, port } = await fe.start({ port: base, calleePort, onUnauthorizedDc: flow.onUnauthorizedDc, calleeTransport: tcp ? 'tcp' : 'udp' });
    t.teardown(() => guard.stop());
    const uasRun =
      flow.uas === null ? null : runSipp({ scenario: flow.uas, localIp: '127.0.0.2', localPort: calleePort, transport: flow.transport });
    await settle();
    const uac = await runSipp({ scenario: flow.uac, localIp: flow.from, localPort: base + 1, remote: `${fe.guardIp}:${port}`, transport: flow.transport });
    const uas = uasRun === null ? null : await uasRun;
    return { uac, uas, guard };
  }

  t.test('a trusted call with a bootstrap DC passes untouched (UDP)', { skip }, async (t) => {
    const { uac, uas, guard } = await runFlow(t, { uac: 'uac-trusted-bootstrap-expect-200.xml', uas: 'uas-expect-bootstrap-untouched.xml', from: '127.0.0.1' });
    passed(t, 'caller', uac);
    passed(t, 'callee', uas);
    await endedClean(t, guard);
    t.ok(guard.logs.some((l) => l.msg === 'decision' && l.from === 'core' && l.action === 'forward'), 'one decision line for the call');
  });

  t.test("sipp's own call (`sipp -sn uac -s service <guard>`): a Request-URI naming the guard goes on by next_hop", { skip }, async (t) => {
    // Before, drachtio-server answered every such call 503 ("can not send request to myself").
    const { uac, uas } = await runFlow(t, { uac: 'builtin:uac', uas: 'builtin:uas', from: '127.0.0.1' });
    passed(t, 'caller', uac);
    passed(t, 'callee', uas);
  });

  t.test('a reliable 183 (RFC 3262): the caller\'s PRACK reaches a strict callee with the RSeq the callee sent', { skip }, async (t) => {
    const { uac, uas } = await runFlow(t, { uac: 'uac-core-100rel-prack-expect-200.xml', uas: 'uas-100rel-strict-rack.xml', from: '127.0.0.1' });
    passed(t, 'caller', uac);
    passed(t, 'callee', uas);
  });

  t.test('the same trusted call over TCP', { skip }, async (t) => {
    const { uac, uas } = await runFlow(t, {
      uac: 'uac-trusted-bootstrap-expect-200.xml',
      uas: 'uas-expect-bootstrap-untouched.xml',
      from: '127.0.0.1',
      transport: 't1',
    });
    passed(t, 'caller', uac);
    passed(t, 'callee', uas);
  });

  t.test('an untrusted AS INVITE with an ungranted app DC reaches the callee at port 0; the AS gets a valid answer', { skip }, async (t) => {
    const { uac, uas, guard } = await runFlow(t, { uac: 'uac-as-ungranted-app-expect-port0.xml', uas: 'uas-expect-dc-refused-then-bye.xml', from: '127.0.0.3' });
    passed(t, 'AS', uac);
    passed(t, 'callee', uas);
    const decision = guard.logs.find((l) => l.msg === 'decision' && l.from === 'weather-as' && l.message === 'INVITE');
    t.match(decision, { action: 'forward', reasons: [{ code: 'dc.app-not-granted', appId: 'com.example.ads' }] });
  });

  t.test('with on_unauthorized_dc: reject the same INVITE gets 403', { skip }, async (t) => {
    const { uac } = await runFlow(t, { uac: 'uac-as-ungranted-app-expect-403.xml', uas: null, from: '127.0.0.3', onUnauthorizedDc: 'reject' });
    passed(t, 'AS', uac);
  });

  t.test('a granted app DC passes; an ungranted re-INVITE gets 488 and a BYE without terminate 403; the callee ends the call', { skip }, async (t) => {
    const { uac, uas, guard } = await runFlow(t, { uac: 'uac-as-granted-app-reinvite-expect-488.xml', uas: 'uas-expect-granted-app-then-bye.xml', from: '127.0.0.3' });
    passed(t, 'AS', uac);
    passed(t, 'callee', uas);
    await endedClean(t, guard);
  });

  t.test('CANCEL of a ringing call', { skip }, async (t) => {
    const { uac, uas, guard } = await runFlow(t, { uac: 'uac-core-cancel-expect-487.xml', uas: 'uas-ring-expect-cancel.xml', from: '127.0.0.1' });
    passed(t, 'caller', uac);
    passed(t, 'callee', uas);
    await endedClean(t, guard);
    t.ok(
      guard.logs.some((l) => l.msg === 'decision' && l.level === 30 && l.message === 'CANCEL' && l.action === 'forward'),
      'the relayed CANCEL has its info-level decision line',
    );
  });

  t.test('an unknown peer is refused: 403, or no answer at all from a transport that drops strangers', { skip }, async (t) => {
    const scenario = frontEnd().dropsUnknownSources === true ? 'uac-unknown-peer-expect-no-answer.xml' : 'uac-unknown-peer-expect-403.xml';
    const { uac } = await runFlow(t, { uac: scenario, uas: null, from: '127.0.0.9' });
    passed(t, 'unknown peer', uac);
  });
}

/**
 * The core hands a call to weather-as through the guard (`;as=weather-as`); the AS (a scripted
 * B2BUA on 127.0.0.3) brings it back along the route set it was given. Uses `port + 1` for the
 * caller, `calleePort` and `asPort`. `calleeScenario` replaces uas-expect-real-identity.xml.
 */
export function defineAsLoop(
  t: Test,
  frontEnd: () => FrontEndUnderTest,
  options: { skip: false | string; port: number; calleePort: number; asPort: number; calleeScenario?: string },
): void {
  const { skip, calleePort, asPort } = options;
  t.test('a call handed to an untrusted AS arrives there pseudonymised and comes back with the real identities', { skip }, async (t) => {
    const fe = frontEnd();
    const { guard, port } = await fe.start({ port: options.port, calleePort, asPort });
    t.teardown(() => guard.stop());
    const as = await ScriptedAs.start('127.0.0.3', asPort);
    t.teardown(() => as.close());

    const uas = runSipp({ scenario: options.calleeScenario ?? 'uas-expect-real-identity.xml', localIp: '127.0.0.2', localPort: calleePort });
    await settle();
    const uac = await runSipp({
      scenario: 'uac-core-via-as-expect-200.xml',
      localIp: '127.0.0.1',
      localPort: options.port + 1,
      remote: `${fe.guardIp}:${port}`,
      extraArgs: ['-key', 'route', `<sip:${fe.guardIp}:${port};lr;as=weather-as>, <sip:127.0.0.2:${calleePort};lr>`],
    });
    const callee = await uas;
    t.equal(uac.code, 0, "caller sipp passed (got the callee's real PAI back)", { errors: uac.errors });
    t.equal(callee.code, 0, "callee sipp passed (got the caller's real identities)", { errors: callee.errors });

    const invite = as.received.find((m): m is SipRequest => m.kind === 'request' && m.method === 'INVITE');
    t.ok(invite, 'the AS got the INVITE');
    const seen = invite === undefined ? '' : serializeSipMessage(invite);
    t.notMatch(seen, /alice|15550002222|Alice/, 'no identity of either party reached the AS');
    t.match(seen, /P-Asserted-Identity: <sip:dcg-[a-z2-7]+@pseudonym\.invalid>/);
    t.match(seen, new RegExp(`Route: <sip:${fe.guardIp.replace(/\./g, '\\.')}:${port};lr;dcg=`), "the guard's own entry, with its token, is on the AS's route set");
    const answer = as.received.find((m) => m.kind === 'response' && m.status === 200);
    t.notMatch(answer === undefined ? '' : serializeSipMessage(answer), /15550002222|o=bob/, 'nor of the callee in its answer');
    await endedClean(t, guard, 'both hops ended');
  });
}
