import type { Test } from 'tap';
import type { FrontEndUnderTest, GuardUnderTest } from './flow-suite.ts';
import { runSipp, settle, type SippResult } from './sipp.ts';

/**
 * Standalone DC sessions (TS 23.228 AG; TS 26.114 6.2.10.1 no longer puts speech first) as SIPp
 * call flows, written once and run against each front end: sipp plays the core caller on
 * 127.0.0.1, the callee on 127.0.0.2 and weather-as on 127.0.0.3 (see wireProfile). Each flow
 * uses 10 ports from `firstPort`.
 */
export function defineStandaloneDcFlows(t: Test, frontEnd: () => FrontEndUnderTest, options: { skip: false | string; firstPort: number }): void {
  const { skip } = options;
  let nextPort = options.firstPort;

  async function runFlow(t: Test, uac: string, uas: string | null, from: string): Promise<{ uac: SippResult; uas: SippResult | null; guard: GuardUnderTest }> {
    const base = nextPort;
    nextPort += 10;
    const fe = frontEnd();
    const { guard, port } = await fe.start({ port: base, calleePort: base + 2 });
    t.teardown(() => guard.stop());
    const uasRun = uas === null ? null : runSipp({ scenario: uas, localIp: '127.0.0.2', localPort: base + 2 });
    await settle();
    const caller = await runSipp({ scenario: uac, localIp: from, localPort: base + 1, remote: `${fe.guardIp}:${port}` });
    return { uac: caller, uas: uasRun === null ? null : await uasRun, guard };
  }

  function passed(t: Test, name: string, result: SippResult | null): void {
    if (result !== null) {
      t.equal(result.code, 0, `${name} sipp passed every check`, { errors: result.errors, output: result.output.slice(-3000) });
    }
  }

  async function noStateLeft(t: Test, guard: GuardUnderTest): Promise<void> {
    for (let waited = 0; guard.store.size > 0 && waited < 2_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.equal(guard.store.size, 0, 'the ended call left no state');
  }

  t.test('a standalone DC INVITE from the core (no audio at all) passes intact both ways', { skip }, async (t) => {
    const { uac, uas, guard } = await runFlow(t, 'uac-core-dc-only-expect-200.xml', 'uas-expect-dc-only-untouched.xml', '127.0.0.1');
    passed(t, 'caller', uac);
    passed(t, 'callee', uas);
    await noStateLeft(t, guard);
  });

  t.test('DC before audio from the AS: the ungranted channel stripped, the ungranted-only DC m-line at port 0, the m-line order kept', { skip }, async (t) => {
    const { uac, uas, guard } = await runFlow(t, 'uac-as-dc-before-audio-expect-200.xml', 'uas-expect-dc-before-audio-stripped.xml', '127.0.0.3');
    passed(t, 'AS', uac);
    passed(t, 'callee', uas);
    const decision = guard.logs.find((l) => l.msg === 'decision' && l.from === 'weather-as' && l.message === 'INVITE');
    t.match(decision, { action: 'forward', reasons: [{ code: 'dc.app-not-granted', mediaIndex: 0, streamId: 1002 }, { code: 'dc.app-not-granted', mediaIndex: 2 }] });
    await noStateLeft(t, guard);
  });

  t.test('a standalone DC INVITE from the AS with nothing granted in it gets 488 and reaches nobody', { skip }, async (t) => {
    const { uac, guard } = await runFlow(t, 'uac-as-dc-only-ungranted-expect-488.xml', null, '127.0.0.3');
    passed(t, 'AS', uac);
    t.match(guard.logs.find((l) => l.msg === 'decision' && l.from === 'weather-as'), { action: 'reject', status: 488 });
    t.notOk(guard.logs.some((l) => l.msg === 'decision' && l.to === 'core'), 'nothing went toward the core');
    await noStateLeft(t, guard);
  });
}
