import t from 'tap';
import { defineAsLoop, type FrontEndUnderTest } from '../helpers/flow-suite.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';
import { SIPP_AVAILABLE } from '../helpers/sipp.ts';

// The AS loop through the embedded front end (guard on 127.0.0.11); drachtio-flows.test.ts
// runs it through the drachtio front end.
const GUARD_IP = '127.0.0.11';
const skip = SIPP_AVAILABLE ? false : 'sipp is not installed (Debian package sip-tester)';

const embedded: FrontEndUnderTest = {
  guardIp: GUARD_IP,
  async start(wire) {
    const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, ...wire }));
    return { guard, port: wire.port };
  },
};

defineAsLoop(t, () => embedded, { skip, port: 17060, calleePort: 17062, asPort: 17063 });
