import type { FrontEndUnderTest } from './flow-suite.ts';
import { startGuard, wireProfile } from './guard-harness.ts';

/** The embedded front end as the shared flow suites drive it: a guard on `guardIp` with the wire profile. */
export function embeddedFrontEnd(guardIp: string): FrontEndUnderTest {
  return {
    guardIp,
    dropsUnknownSources: true,
    async start(wire) {
      const guard = await startGuard(wireProfile({ guardIp, ...wire }), wire.clock);
      return { guard, port: wire.port };
    },
  };
}
