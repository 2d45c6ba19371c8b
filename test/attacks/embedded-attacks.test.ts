import t from 'tap';
import { defineAsLoopAttacks, defineBodyAttacks, defineDialogAttacks } from '../helpers/attack-suite.ts';
import { defineCapabilityAttacks } from '../helpers/capability-attacks.ts';
import { defineCallExpiry } from '../helpers/expiry-suite.ts';
import { defineLimitAttacks } from '../helpers/limit-attacks.ts';
import type { FrontEndUnderTest } from '../helpers/flow-suite.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';

// The attacker's tests on the embedded front end (guard on 127.0.0.21); drachtio-flows.test.ts
// runs the same suite through the drachtio front end when DRACHTIO_BIN is set.
const GUARD_IP = '127.0.0.21';

const embedded: FrontEndUnderTest = {
  guardIp: GUARD_IP,
  async start(wire) {
    const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, ...wire }), wire.clock);
    return { guard, port: wire.port };
  },
};

defineDialogAttacks(t, () => embedded, { skip: false, firstPort: 31010 });
defineBodyAttacks(t, () => embedded, { skip: false, firstPort: 31110 });
defineAsLoopAttacks(t, () => embedded, { skip: false, firstPort: 31210 });
defineLimitAttacks(t, () => embedded, { skip: false, firstPort: 31310 });
defineCallExpiry(t, () => embedded, { skip: false, firstPort: 31510 });
defineCapabilityAttacks(t, () => embedded, { skip: false, firstPort: 33010 });
