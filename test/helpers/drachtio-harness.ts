import { buildController } from '../../src/call/build-controller.ts';
import { DrachtioGuard } from '../../src/front/drachtio/drachtio-guard.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import { MemoryCallStore } from '../../src/state/memory-call-store.ts';
import type { RunningDrachtioServer } from './drachtio-server.ts';
import { memoryLogger } from './guard-harness.ts';
import type { GuardClock } from './flow-suite.ts';
import { PSEUDONYM_ENV } from './profile-fixture.ts';

export interface RunningDrachtioGuard {
  readonly guard: DrachtioGuard;
  readonly profile: Profile;
  readonly store: MemoryCallStore;
  readonly logs: Record<string, unknown>[];
  /** The front end's record of drachtio-server's state, and requests in flight. */
  leftovers(): Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Starts the drachtio front end in this process as an application of `server`, logging into
 * memory. The profile must name the server's SIP address as the guard's own (wireProfile with
 * the server's sipIp and sipPort).
 */
export async function startDrachtioGuard(profileYaml: string, server: RunningDrachtioServer, clock?: GuardClock): Promise<RunningDrachtioGuard> {
  const profile = parseProfile(profileYaml, 'test-profile.yaml');
  const { logger, logs } = memoryLogger();
  const store = new MemoryCallStore({ freeze: true });
  const guard = await DrachtioGuard.start({
    profile,
    controller: buildController(profile, { env: PSEUDONYM_ENV, store, ...(clock === undefined ? {} : { now: clock.now }) }),
    logger,
    connection: server.admin,
    connectTimeoutMs: 5_000,
    ...(clock === undefined ? {} : { sweepIntervalMs: clock.sweepIntervalMs }),
  });
  return {
    guard,
    profile,
    store,
    logs,
    leftovers: () => guard.tracked,
    stop: async () => {
      await guard.stop(1_000);
      // drachtio-server notices the closed application socket asynchronously; the next flow's
      // guard must be the only application it routes to.
      await new Promise((resolve) => setTimeout(resolve, 100));
    },
  };
}
