import type { Peer } from '../profile/profile-types.ts';

/**
 * The per-peer buckets the controller charges: this process's (PeerLimiter), or the ones in
 * Redis every instance shares (src/state/redis-rate-buckets.ts). The controller reads the
 * sender's bucket before the step, so the step itself stays synchronous.
 */
export interface RateBuckets {
  hasToken(peer: Peer): boolean | Promise<boolean>;
  take(peer: Peer): boolean | Promise<boolean>;
}

/**
 * Per-peer request rate (`limits.requests_per_second`, `limits.burst`) as a token bucket on an
 * injected clock, so tests run on fake time. Which requests are charged is policy's to say
 * (src/policy/peer-limits.ts): a step asks `hasToken`, and the controller charges the bucket
 * with `take` once the step's result is committed.
 */
export class PeerLimiter implements RateBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Whether a request of `peer` may go now, without taking the token. */
  hasToken(peer: Peer): boolean {
    const rate = peer.limits.requestsPerSecond;
    return rate === null || this.#refilled(peer, rate) >= 1;
  }

  take(peer: Peer): boolean {
    const rate = peer.limits.requestsPerSecond;
    if (rate === null) {
      return true;
    }
    const tokens = this.#refilled(peer, rate);
    const ok = tokens >= 1;
    this.#buckets.set(peer.id, { tokens: ok ? tokens - 1 : tokens, at: this.#now() });
    return ok;
  }

  #refilled(peer: Peer, rate: number): number {
    const burst = peer.limits.burst ?? rate;
    const now = this.#now();
    const bucket = this.#buckets.get(peer.id);
    return bucket === undefined ? burst : Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
  }
}
