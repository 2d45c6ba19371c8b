/**
 * The Redis store's copy, in this instance's memory, of the calls it last wrote or read: what
 * the guard works on while Redis cannot be reached, so calls up through this instance can
 * still be ended and policed. Bounded: past `max` calls, the least recently used go. Calls
 * changed or ended while Redis was away are marked, to be written back when it returns.
 */
import { idleLimitOf, livePeersOf } from './call-lifetime.ts';
import type { CallState } from './call-state.ts';
import type { IndexedLeg, LegAddress } from './call-store.ts';

interface Entry {
  readonly call: CallState;
  /** Changed while Redis was away: Redis does not have this version. */
  readonly dirty: boolean;
  /** The version Redis was last seen holding (0: none), what a write-back may replace. */
  readonly base: number;
}

export class LocalCallCopy {
  readonly #max: number;
  readonly #calls = new Map<string, Entry>();
  readonly #keys = new Map<string, LegAddress>();
  readonly #keysOf = new Map<string, Set<string>>();
  /** Calls ended while Redis was away: their keys in Redis are still to be deleted. */
  readonly #ended = new Set<string>();

  constructor(max: number) {
    this.#max = max;
  }

  get(id: string): CallState | undefined {
    return this.#calls.get(id)?.call;
  }

  /** Every call held (metrics: this instance's calls by state). */
  *calls(): IterableIterator<CallState> {
    for (const entry of this.#calls.values()) {
      yield entry.call;
    }
  }

  lookup(key: string): LegAddress | undefined {
    const leg = this.#keys.get(key);
    return leg !== undefined && this.#calls.has(leg.callStateId) ? leg : undefined;
  }

  /** What Redis holds now (read or written there). */
  remember(call: CallState, index: readonly IndexedLeg[] = []): void {
    this.#set(call, index, false);
  }

  rememberLeg(entry: IndexedLeg): void {
    this.#keys.set(entry.key, entry.leg);
    let keys = this.#keysOf.get(entry.leg.callStateId);
    if (keys === undefined) {
      keys = new Set();
      this.#keysOf.set(entry.leg.callStateId, keys);
    }
    keys.add(entry.key);
  }

  /** A write while Redis is away: compare-and-set on the copy's version, as Redis would. */
  put(call: CallState, index: readonly IndexedLeg[]): boolean {
    if ((this.#calls.get(call.id)?.call.version ?? 0) !== call.version - 1) {
      return false;
    }
    this.#set(call, index, true);
    return true;
  }

  forget(id: string, whileAway: boolean): void {
    this.#calls.delete(id);
    for (const key of this.#keysOf.get(id) ?? []) {
      this.#keys.delete(key);
    }
    this.#keysOf.delete(id);
    if (whileAway) {
      this.#ended.add(id);
    } else {
      this.#ended.delete(id);
    }
  }

  liveCallsOf(peerId: string): number {
    let count = 0;
    for (const { call } of this.#calls.values()) {
      count += livePeersOf(call).has(peerId) ? 1 : 0;
    }
    return count;
  }

  /** Calls changed while Redis was away, with every key of their legs. */
  changed(): { readonly call: CallState; readonly base: number; readonly index: readonly IndexedLeg[] }[] {
    return [...this.#calls.values()]
      .filter((e) => e.dirty)
      .map(({ call, base }) => ({ call, base, index: [...(this.#keysOf.get(call.id) ?? [])].flatMap((key) => this.#legEntry(key)) }));
  }

  #legEntry(key: string): IndexedLeg[] {
    const leg = this.#keys.get(key);
    return leg === undefined ? [] : [{ key, leg }];
  }

  ended(): readonly string[] {
    return [...this.#ended];
  }

  /**
   * The write-back of `version` of a call changed while Redis was away: `written`, Redis has it
   * (a later local change stays marked, now over it); refused, Redis has another instance's
   * newer state, which wins over this copy's.
   */
  writtenBack(id: string, version: number, written: boolean): void {
    const held = this.#calls.get(id);
    if (held === undefined) {
      return;
    }
    if (!written) {
      this.#calls.set(id, { ...held, dirty: false });
    } else if (held.call.version >= version) {
      this.#calls.set(id, { ...held, dirty: held.call.version !== version, base: version });
    }
  }

  /** Redis no longer has a call ended while it was away. */
  deletedBack(id: string): void {
    this.#ended.delete(id);
  }

  /** Drops the copies of calls idle past their limit (Redis expires its own keys). */
  expire(now: number, limits: { readonly early: number; readonly confirmed: number }): number {
    const stale = [...this.#calls.values()].filter((e) => e.call.updatedAt < now - idleLimitOf(e.call, limits));
    for (const { call } of stale) {
      this.forget(call.id, false);
    }
    return stale.length;
  }

  get size(): number {
    return this.#calls.size;
  }

  #set(call: CallState, index: readonly IndexedLeg[], dirty: boolean): void {
    const held = this.#calls.get(call.id);
    this.#calls.delete(call.id);
    const base = !dirty ? call.version : held === undefined ? 0 : held.dirty ? held.base : held.call.version;
    this.#calls.set(call.id, { call, dirty: dirty || (held?.dirty ?? false), base });
    for (const entry of index) {
      this.rememberLeg(entry);
    }
    for (const oldest of this.#calls.keys()) {
      if (this.#calls.size <= this.#max) {
        break;
      }
      this.forget(oldest, false);
    }
  }
}
