import type { Peer } from '../profile/profile-types.ts';

/**
 * Per-peer request rate (`limits.requests_per_second`, `limits.burst`) as a token bucket on an
 * injected clock, so tests run on fake time. Only dialog-creating requests and DC-changing
 * offers are charged: a rate limit must never stop a call from being torn down.
 */
export class PeerLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  take(peer: Peer): boolean {
    const rate = peer.limits.requestsPerSecond;
    if (rate === null) {
      return true;
    }
    const burst = peer.limits.burst ?? rate;
    const now = this.#now();
    const bucket = this.#buckets.get(peer.id) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.#buckets.set(peer.id, bucket);
    if (bucket.tokens < 1) {
      return false;
    }
    bucket.tokens -= 1;
    return true;
  }
}
