import t from 'tap';
import { defineAnswerAttacks } from '../helpers/answer-attacks.ts';
import type { FrontEndUnderTest } from '../helpers/flow-suite.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';

// The AS answering the core with a redirected channel (TS 26.114 6.2.10.3), on the embedded
// front end (guard on 127.0.0.26); drachtio-flows.test.ts runs the same suite through drachtio
// when DRACHTIO_BIN is set.
const GUARD_IP = '127.0.0.26';

const embedded: FrontEndUnderTest = {
  guardIp: GUARD_IP,
  async start(wire) {
    const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, ...wire }), wire.clock);
    return { guard, port: wire.port };
  },
};

defineAnswerAttacks(t, () => embedded, { skip: false, firstPort: 34510 });
