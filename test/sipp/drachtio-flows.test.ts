import t from 'tap';
import { buildController } from '../../src/call/build-controller.ts';
import { drachtioConnectionFromEnv } from '../../src/front/drachtio/drachtio-connection.ts';
import { DrachtioGuard } from '../../src/front/drachtio/drachtio-guard.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import { startDrachtioGuard } from '../helpers/drachtio-harness.ts';
import { DRACHTIO_SKIP, startDrachtioServer, type RunningDrachtioServer } from '../helpers/drachtio-server.ts';
import { defineAnswerAttacks } from '../helpers/answer-attacks.ts';
import { defineAsLoopAttacks, defineBodyAttacks, defineDialogAttacks } from '../helpers/attack-suite.ts';
import { defineDialogFlows } from '../helpers/dialog-suite.ts';
import { defineCapabilityAttacks } from '../helpers/capability-attacks.ts';
import { defineCapabilityFlows } from '../helpers/capability-flows.ts';
import { defineCallExpiry } from '../helpers/expiry-suite.ts';
import { defineLimitAttacks } from '../helpers/limit-attacks.ts';
import { defineAsLoop, defineCallFlows, type FrontEndUnderTest } from '../helpers/flow-suite.ts';
import { memoryLogger, wireProfile } from '../helpers/guard-harness.ts';
import { PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';
import { SIPP_AVAILABLE } from '../helpers/sipp.ts';
import { defineStandaloneDcFlows } from '../helpers/standalone-dc-flows.ts';

// The SIPp call flows of embedded-flows.test.ts and as-loop.test.ts through the drachtio front
// end: one drachtio-server, started here on loopback (SIP on 127.0.0.12:25060, UDP and TCP;
// its application socket on 127.0.0.1:25022), and a fresh guard application for each flow.
// Not here: the malformed-input flow, which is embedded only (drachtio-server's own parser
// answers or drops malformed input before an application sees it).
const SIP_IP = '127.0.0.12';
const SIP_PORT = 25060;
const ADMIN_PORT = 25022;
const skip = SIPP_AVAILABLE ? DRACHTIO_SKIP : 'sipp is not installed (Debian package sip-tester)';

let server: RunningDrachtioServer | null = null;
function running(): RunningDrachtioServer {
  if (server === null) {
    throw new Error('drachtio-server is not running');
  }
  return server;
}
if (skip === false) {
  t.before(async () => {
    server = await startDrachtioServer({ sipIp: SIP_IP, sipPort: SIP_PORT, adminPort: ADMIN_PORT });
  });
  t.teardown(async () => {
    await server?.stop();
  });
}

const drachtio: FrontEndUnderTest = {
  guardIp: SIP_IP,
  async start(wire) {
    const guard = await startDrachtioGuard(wireProfile({ ...wire, guardIp: SIP_IP, port: SIP_PORT }), running(), wire.clock);
    return { guard, port: SIP_PORT };
  },
};

t.test('the drachtio front end refuses to start on a wrong secret', { skip }, async (t) => {
  const profile = parseProfile(wireProfile({ guardIp: SIP_IP, port: SIP_PORT, calleePort: 5060 }), 'test-profile.yaml');
  const { logger } = memoryLogger();
  await t.rejects(
    DrachtioGuard.start({
      profile,
      controller: buildController(profile, { env: PSEUDONYM_ENV }),
      logger,
      connection: { ...running().admin, secret: 'not-the-secret' },
      connectTimeoutMs: 3_000,
    }),
    /refused the connection/,
  );
});

defineCallFlows(t, () => drachtio, { skip, firstPort: 26010 });
defineStandaloneDcFlows(t, () => drachtio, { skip, firstPort: 34810 });
defineCapabilityFlows(t, () => drachtio, { skip, firstPort: 26310 });
// The attacker's tests (test/attacks/embedded-attacks.test.ts) through drachtio, but for those
// on transactions and Via handling, which drachtio-server does itself.
defineDialogAttacks(t, () => drachtio, { skip, firstPort: 28010, guardOwnsStack: false });
defineBodyAttacks(t, () => drachtio, { skip, firstPort: 28110, bytesClean: false });
defineAsLoopAttacks(t, () => drachtio, { skip, firstPort: 28210, guardOwnsStack: false });
defineLimitAttacks(t, () => drachtio, { skip, firstPort: 28310 });
defineCallExpiry(t, () => drachtio, { skip, firstPort: 28410 });
// The AS answering with a redirected channel (test/attacks/answer-integrity.test.ts).
defineAnswerAttacks(t, () => drachtio, { skip, firstPort: 34610 });
// Forking and session timers (dialog-flows.test.ts on the embedded front end).
defineDialogFlows(t, () => drachtio, {
  skip,
  firstPort: 35610,
  forkSkip: 'drachtio-server takes a later 2xx to one INVITE for a retransmission of the first (it re-sends the first ACK) and never hands it to the application (README, Forking and session timers)',
  guardOwnsStack: false,
});
defineCapabilityAttacks(t, () => drachtio, { skip, firstPort: 29010 });
// The callee gets the caller's tel: Request-URI as sip:...;user=phone: drachtio-server crashes on
// an application's INVITE to a tel: URI (see sendableRequestUri in srf-wire.ts).
defineAsLoop(t, () => drachtio, { skip, port: 27060, calleePort: 27062, asPort: 27063, calleeScenario: 'uas-expect-real-identity-user-phone.xml' });

t.test('drachtio connection settings come from DRACHTIO_HOST, DRACHTIO_PORT and DRACHTIO_SECRET', async (t) => {
  t.same(drachtioConnectionFromEnv({ DRACHTIO_SECRET: 's' }), { ok: true, connection: { host: '127.0.0.1', port: 9022, secret: 's' } });
  t.same(drachtioConnectionFromEnv({ DRACHTIO_HOST: 'drachtio', DRACHTIO_PORT: '9023', DRACHTIO_SECRET: 's' }), {
    ok: true,
    connection: { host: 'drachtio', port: 9023, secret: 's' },
  });
  t.match(drachtioConnectionFromEnv({}), { ok: false, error: /DRACHTIO_SECRET is not set/ }, 'no default secret');
  t.match(drachtioConnectionFromEnv({ DRACHTIO_PORT: '70000', DRACHTIO_SECRET: 's' }), { ok: false, error: /DRACHTIO_PORT/ });
});
