/**
 * What a guard process keeps beside its front end, opened once at start and kept across
 * reloads: the state (calls and rate buckets, memory or Redis), the consent records made
 * through the admin API (in the same store), and the metrics every part reports to.
 */
import { PeerLimiter } from '../call/peer-limiter.ts';
import type { Logger } from '../log/logger.ts';
import { callsByState } from '../metrics/call-states.ts';
import { GuardMetrics } from '../metrics/guard-metrics.ts';
import type { Profile } from '../profile/profile-types.ts';
import type { ConsentStore } from '../state/consent-store.ts';
import { MemoryConsentStore } from '../state/memory-consent-store.ts';
import { openState, type OpenedState } from '../state/open-state.ts';
import { RedisConsentStore } from '../state/redis-consent-store.ts';
import { redactedUrl } from '../state/redis-connection.ts';

export interface GuardServices {
  readonly state: OpenedState;
  readonly consent: ConsentStore;
  readonly metrics: GuardMetrics;
  close(): Promise<void>;
}

export async function openServices(profile: Profile, env: Readonly<Record<string, string | undefined>>, logger: Logger): Promise<GuardServices> {
  // Calls are counted at each scrape from what this process holds (with Redis: its copies).
  let state: OpenedState | null = null;
  const metrics = new GuardMetrics({ countCalls: () => callsByState(state?.calls() ?? []) });
  state = await openState(profile.state, {
    env,
    localBuckets: new PeerLimiter(Date.now),
    observer: (op, ms, failed) => metrics.storeOperation(op, ms, failed),
    onReachability: (reachable) =>
      reachable
        ? logger.info({ url: redactedUrl(profile.state.url) }, 'state store back: calls changed meanwhile written back, shared state in use again')
        : logger.warn({ url: redactedUrl(profile.state.url), fail: profile.guard.fail }, 'state store unreachable: serving from this instance\'s copies under guard.fail'),
  });
  if (!state.connected) {
    logger.warn(
      { url: redactedUrl(profile.state.url), fail: profile.guard.fail },
      'state store unreachable at start: serving with the store down (guard.fail) until Redis answers',
    );
  }
  const consent =
    state.client === null
      ? new MemoryConsentStore()
      : RedisConsentStore.connecting({
          client: state.client,
          keyPrefix: profile.state.keyPrefix,
          commandTimeoutMs: profile.state.commandTimeoutMs,
          onError: (error) => logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'consent records: store error (the records held stay in force)'),
        });
  const opened = state;
  return {
    state: opened,
    consent,
    metrics,
    close: async () => {
      await consent.close();
      await opened.close();
    },
  };
}
