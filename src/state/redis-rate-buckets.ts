/**
 * The per-peer token buckets (`limits.requests_per_second`, `limits.burst`) in Redis, so every
 * guard instance on it charges one bucket per peer. The controller looks at the sender's bucket
 * before the step (`hasToken`) and takes the token after its result is committed (`take`), as
 * with the in-memory buckets: policy (src/policy/peer-limits.ts) still decides which requests
 * are metered. While Redis does not answer, this instance's own buckets stand in.
 */
import type { Peer } from '../profile/profile-types.ts';
import type { RedisCommands } from './redis-connection.ts';
import { RATE_BUCKET } from './redis-scripts.ts';

/** The in-memory buckets' shape (src/call/peer-limiter.ts). */
interface LocalBuckets {
  hasToken(peer: Peer): boolean;
  take(peer: Peer): boolean;
}

export class RedisRateBuckets {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #fallback: LocalBuckets;

  constructor(redis: RedisCommands, keyPrefix: string, fallback: LocalBuckets) {
    this.#redis = redis;
    this.#prefix = keyPrefix;
    this.#fallback = fallback;
  }

  async hasToken(peer: Peer): Promise<boolean> {
    return this.#bucket(peer, false);
  }

  async take(peer: Peer): Promise<boolean> {
    return this.#bucket(peer, true);
  }

  async #bucket(peer: Peer, take: boolean): Promise<boolean> {
    const rate = peer.limits.requestsPerSecond;
    if (rate === null) {
      return true;
    }
    if (!this.#redis.client.isReady) {
      return take ? this.#fallback.take(peer) : this.#fallback.hasToken(peer);
    }
    try {
      const burst = peer.limits.burst ?? rate;
      const op = take ? 'rate.take' : 'rate.peek';
      return (await this.#redis.eval(op, RATE_BUCKET, [`${this.#prefix}rate:${peer.id}`], [String(rate), String(burst), take ? '1' : '0'])) === 1;
    } catch {
      return take ? this.#fallback.take(peer) : this.#fallback.hasToken(peer);
    }
  }
}
