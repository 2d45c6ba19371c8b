/**
 * The state a guard process keeps, from the profile's `state` settings: calls and rate buckets
 * in this process (`store: memory`, the default) or in Redis shared with other instances
 * (`store: redis`). Opened once per process: a profile reload keeps it.
 */
import type { Peer, StateSettings } from '../profile/profile-types.ts';
import type { CallStore } from './call-store.ts';
import { MemoryCallStore } from './memory-call-store.ts';
import { RedisCallStore } from './redis-call-store.ts';
import { connectRedis, openRedisClient, RedisCommands } from './redis-connection.ts';
import { RedisRateBuckets } from './redis-rate-buckets.ts';
import type { StoreObserver } from './store-unavailable-error.ts';

/** The rate buckets' shape (src/call/peer-limiter.ts RateBuckets). */
interface Buckets {
  hasToken(peer: Peer): boolean | Promise<boolean>;
  take(peer: Peer): boolean | Promise<boolean>;
}

export interface OpenedState {
  readonly store: CallStore;
  readonly limiter: Buckets;
  /** Redis answered within the wait (always true for memory). */
  readonly connected: boolean;
  /** False while a shared store cannot be reached (for /readyz). */
  reachable(): boolean;
  close(): Promise<void>;
}

export interface OpenStateOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** This process's buckets: the buckets of `memory`, and what stands in for Redis's while it is away. */
  readonly localBuckets: Buckets & { hasToken(peer: Peer): boolean; take(peer: Peer): boolean };
  readonly observer?: StoreObserver;
  /** How long to wait for Redis at start before going on without it. */
  readonly connectWaitMs?: number;
  /** Tests: shorter call lifetimes. */
  readonly idleMs?: { readonly early: number; readonly confirmed: number };
}

/**
 * Redis not answering at start does not stop the guard: it starts, serves under `guard.fail`
 * with the store down (and reports not ready), and uses Redis as soon as it answers, rather
 * than crash-looping under a supervisor while Redis restarts.
 */
export async function openState(settings: StateSettings, options: OpenStateOptions): Promise<OpenedState> {
  if (settings.store === 'memory') {
    return { store: new MemoryCallStore(), limiter: options.localBuckets, connected: true, reachable: () => true, close: () => Promise.resolve() };
  }
  const client = openRedisClient(settings, options.env);
  const commands = new RedisCommands(client, settings.commandTimeoutMs, options.observer);
  const store = new RedisCallStore(commands, { keyPrefix: settings.keyPrefix, ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }) });
  const connected = await connectRedis(client, options.connectWaitMs ?? Math.max(2_000, settings.commandTimeoutMs));
  return {
    store,
    limiter: new RedisRateBuckets(commands, settings.keyPrefix, options.localBuckets),
    connected,
    reachable: () => store.reachable(),
    close: () => store.close(),
  };
}
