import type { Test } from 'tap';
import type { FrontEndUnderTest } from './flow-suite.ts';
import { runSipp, settle, type SippResult } from './sipp.ts';

/**
 * SIPp flows of capability signalling (RFC 3840 feature tags on the Contact the guard writes,
 * TS 26.114 6.2.10.1), run on each front end: sipp plays the core on 127.0.0.1 (caller) and
 * 127.0.0.2 (callee) and weather-as on 127.0.0.3 (see wireProfile). The checks are in the
 * scenarios (test/sipp/scenarios/*dc-tags*). Each flow uses 10 ports from `firstPort`.
 */
export function defineCapabilityFlows(t: Test, frontEnd: () => FrontEndUnderTest, options: { skip: false | string; firstPort: number }): void {
  const { skip } = options;
  let nextPort = options.firstPort;

  async function run(t: Test, uacScenario: string, uasScenario: string, from: string): Promise<{ uac: SippResult; uas: SippResult }> {
    const base = nextPort;
    nextPort += 10;
    const fe = frontEnd();
    const { guard, port } = await fe.start({ port: base, calleePort: base + 2 });
    t.teardown(() => guard.stop());
    const uasRun = runSipp({ scenario: uasScenario, localIp: '127.0.0.2', localPort: base + 2 });
    await settle();
    const uac = await runSipp({ scenario: uacScenario, localIp: from, localPort: base + 1, remote: `${fe.guardIp}:${port}` });
    return { uac, uas: await uasRun };
  }

  function passed(t: Test, name: string, result: SippResult): void {
    t.equal(result.code, 0, `${name} sipp passed every check`, { errors: result.errors, output: result.output.slice(-3000) });
  }

  t.test("a kept DC: the callee gets the caller's DC and service tags on the guard's Contact, and the caller the callee's", { skip }, async (t) => {
    const { uac, uas } = await run(t, 'uac-trusted-dc-tags-expect-200.xml', 'uas-expect-dc-tags-kept.xml', '127.0.0.1');
    passed(t, 'caller', uac);
    passed(t, 'callee', uas);
  });

  t.test("the AS's DC refused: its DC claims, device id and caller preferences do not reach the callee, the callee's tags not the AS", { skip }, async (t) => {
    const { uac, uas } = await run(t, 'uac-as-fake-dc-tags-expect-no-tags.xml', 'uas-expect-dc-tags-refused.xml', '127.0.0.3');
    passed(t, 'AS', uac);
    passed(t, 'callee', uas);
  });
}
