import { VerdictEngine } from '../policy/verdict-engine.ts';
import { resolvePseudonymKey } from '../privacy/pseudonym-key.ts';
import { Pseudonymizer } from '../privacy/pseudonymizer.ts';
import { PeerDirectory } from '../profile/peer-directory.ts';
import type { Profile } from '../profile/profile-types.ts';
import { GuardSelf } from '../routing/guard-self.ts';
import type { CallStore } from '../state/call-store.ts';
import { MemoryCallStore } from '../state/memory-call-store.ts';
import { CallController } from './call-controller.ts';
import { RandomIdSource, type IdSource } from './id-source.ts';
import type { LegMatching } from './leg-matching.ts';
import { PeerLimiter, type RateBuckets } from './peer-limiter.ts';

export interface ControllerOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The process's store (src/state/open-state.ts picks it from `profile.state`); a fresh memory store when unset. */
  readonly store?: CallStore;
  readonly ids?: IdSource;
  readonly now?: () => number;
  /** `dc-guard check` only (its lenient matching); the server leaves it unset. */
  readonly matching?: LegMatching;
  /**
   * The rate-limit buckets, when they must outlive this controller: a reloaded profile gets the
   * running guard's, so a peer's bucket does not fill up again on every SIGHUP. With
   * `state.store: redis`, the buckets every instance shares (src/state/open-state.ts).
   */
  readonly limiter?: RateBuckets;
}

/**
 * Wires one CallController from a validated profile. Throws (MissingPseudonymKeyError) when a
 * peer needs pseudonyms and the key is not set: the guard must not start half-private.
 */
export function buildController(profile: Profile, options: ControllerOptions): CallController {
  const key = resolvePseudonymKey(profile, options.env);
  const now = options.now ?? Date.now;
  return new CallController({
    profile,
    peers: new PeerDirectory(profile.peers),
    engine: new VerdictEngine(profile),
    store: options.store ?? new MemoryCallStore(),
    ids: options.ids ?? new RandomIdSource(),
    self: new GuardSelf(profile),
    pseudonymizer: key === null ? null : new Pseudonymizer(key),
    limiter: options.limiter ?? new PeerLimiter(now),
    now,
    ...(options.matching === undefined ? {} : { matching: options.matching }),
  });
}
