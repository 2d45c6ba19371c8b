import type { CallState } from '../call/call-state.ts';
import type { CallStore, LegAddress } from './call-store.ts';

/** Single-instance store. Expiry of abandoned calls is the controller's sweep, not the store's. */
export class MemoryCallStore implements CallStore {
  readonly #calls = new Map<string, CallState>();
  readonly #keys = new Map<string, LegAddress>();
  readonly #keysOf = new Map<string, Set<string>>();

  get(id: string): Promise<CallState | undefined> {
    return Promise.resolve(this.#calls.get(id));
  }

  put(call: CallState): Promise<void> {
    this.#calls.set(call.id, call);
    return Promise.resolve();
  }

  delete(id: string): Promise<void> {
    this.#calls.delete(id);
    for (const key of this.#keysOf.get(id) ?? []) {
      this.#keys.delete(key);
    }
    this.#keysOf.delete(id);
    return Promise.resolve();
  }

  index(key: string, leg: LegAddress): Promise<void> {
    this.#keys.set(key, leg);
    let keys = this.#keysOf.get(leg.callStateId);
    if (keys === undefined) {
      keys = new Set();
      this.#keysOf.set(leg.callStateId, keys);
    }
    keys.add(key);
    return Promise.resolve();
  }

  lookup(key: string): Promise<LegAddress | undefined> {
    return Promise.resolve(this.#keys.get(key));
  }

  unindex(key: string): Promise<void> {
    const leg = this.#keys.get(key);
    this.#keys.delete(key);
    if (leg !== undefined) {
      this.#keysOf.get(leg.callStateId)?.delete(key);
    }
    return Promise.resolve();
  }

  liveCallsOf(peerId: string): Promise<number> {
    let count = 0;
    for (const call of this.#calls.values()) {
      if (call.hops.some((h) => h.phase !== 'ended' && (h.upstream.peerId === peerId || h.downstream.peerId === peerId))) {
        count += 1;
      }
    }
    return Promise.resolve(count);
  }

  /** Every call, for `dc-guard check`'s lenient matching and for expiry sweeps. */
  all(): IterableIterator<CallState> {
    return this.#calls.values();
  }

  get size(): number {
    return this.#calls.size;
  }
}
