import { livePeersOf } from './call-lifetime.ts';
import type { CallState } from './call-state.ts';
import type { CallStore, IndexedLeg, LegAddress } from './call-store.ts';

export interface MemoryCallStoreOptions {
  /**
   * Deep-freeze every call written (tests): a change made in place to a state the store holds,
   * instead of through a step's next state, then throws where it is made.
   */
  readonly freeze?: boolean;
}

/**
 * Single-instance store. Per-peer live-call counts are kept as calls are written, so the
 * `concurrent_calls` check costs one Map lookup however many calls are up.
 */
export class MemoryCallStore implements CallStore {
  readonly #freeze: boolean;
  readonly #calls = new Map<string, CallState>();
  readonly #keys = new Map<string, LegAddress>();
  readonly #keysOf = new Map<string, Set<string>>();
  readonly #peersOf = new Map<string, ReadonlySet<string>>();
  readonly #liveCalls = new Map<string, number>();

  constructor(options: MemoryCallStoreOptions = {}) {
    this.#freeze = options.freeze ?? false;
  }

  get(id: string): Promise<CallState | undefined> {
    return Promise.resolve(this.#calls.get(id));
  }

  put(call: CallState, index: readonly IndexedLeg[] = []): Promise<boolean> {
    if ((this.#calls.get(call.id)?.version ?? 0) !== call.version - 1) {
      return Promise.resolve(false);
    }
    this.#calls.set(call.id, this.#freeze ? deepFreeze(call) : call);
    this.#count(call.id, livePeersOf(call));
    for (const entry of index) {
      this.#index(entry.key, entry.leg);
    }
    return Promise.resolve(true);
  }

  delete(id: string): Promise<void> {
    this.#calls.delete(id);
    this.#count(id, new Set());
    for (const key of this.#keysOf.get(id) ?? []) {
      this.#keys.delete(key);
    }
    this.#keysOf.delete(id);
    return Promise.resolve();
  }

  index(key: string, leg: LegAddress): Promise<void> {
    this.#index(key, leg);
    return Promise.resolve();
  }

  #index(key: string, leg: LegAddress): void {
    this.#keys.set(key, leg);
    let keys = this.#keysOf.get(leg.callStateId);
    if (keys === undefined) {
      keys = new Set();
      this.#keysOf.set(leg.callStateId, keys);
    }
    keys.add(key);
  }

  lookup(key: string): Promise<LegAddress | undefined> {
    return Promise.resolve(this.#keys.get(key));
  }

  liveCallsOf(peerId: string): Promise<number> {
    return Promise.resolve(this.#liveCalls.get(peerId) ?? 0);
  }

  liveCallsOfPeers(peerIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    return Promise.resolve(new Map(peerIds.map((id) => [id, this.#liveCalls.get(id) ?? 0])));
  }

  async expire(idleSince: { readonly early: number; readonly confirmed: number }): Promise<number> {
    const stale: string[] = [];
    for (const call of this.#calls.values()) {
      const confirmed = call.hops.some((h) => h.phase === 'confirmed');
      if (call.updatedAt < (confirmed ? idleSince.confirmed : idleSince.early)) {
        stale.push(call.id);
      }
    }
    for (const id of stale) {
      await this.delete(id);
    }
    return stale.length;
  }

  /** Every call, for `dc-guard check`'s lenient matching. */
  all(): IterableIterator<CallState> {
    return this.#calls.values();
  }

  get size(): number {
    return this.#calls.size;
  }

  #count(callId: string, peers: ReadonlySet<string>): void {
    const before = this.#peersOf.get(callId) ?? new Set<string>();
    for (const peer of before) {
      if (!peers.has(peer)) {
        this.#liveCalls.set(peer, (this.#liveCalls.get(peer) ?? 1) - 1);
      }
    }
    for (const peer of peers) {
      if (!before.has(peer)) {
        this.#liveCalls.set(peer, (this.#liveCalls.get(peer) ?? 0) + 1);
      }
    }
    if (peers.size === 0) {
      this.#peersOf.delete(callId);
    } else {
      this.#peersOf.set(callId, peers);
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) {
      deepFreeze(inner);
    }
  }
  return value;
}
