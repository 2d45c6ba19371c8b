import type { CallState, LegSide } from './call-state.ts';

/** Where one leg of a hop lives: found by the dialog identifiers the guard chose on it. */
export interface LegAddress {
  readonly callStateId: string;
  readonly hop: number;
  readonly side: LegSide;
}

/** A store key that finds a leg, written with the call that has the leg. */
export interface IndexedLeg {
  readonly key: string;
  readonly leg: LegAddress;
}

/**
 * Call state behind an interface: in memory for one instance (memory-call-store.ts), or in
 * Redis shared by several (redis-call-store.ts). Only src/call/call-repository.ts reads and
 * writes it.
 * Keys: `leg:<Call-ID>:<guard's tag>` for every leg, `early:<Call-ID>:<peer's From tag>` for an
 * upstream leg before it is confirmed (CANCEL, retransmissions), `token:<route token>`.
 * A shared store's methods reject with StoreUnavailableError when it does not answer.
 */
export interface CallStore {
  /** True for a store other instances share (its calls wait on round trips); absent in memory. */
  readonly shared?: true;
  get(id: string): Promise<CallState | undefined>;
  /**
   * Compare-and-set: writes `call` only when the stored version is `call.version - 1` (absent
   * counts as 0), with the keys in `index` naming its legs, in one atomic write. False when
   * another write came first: the caller reads again and redoes its step.
   */
  put(call: CallState, index?: readonly IndexedLeg[]): Promise<boolean>;
  delete(id: string): Promise<void>;
  index(key: string, leg: LegAddress): Promise<void>;
  lookup(key: string): Promise<LegAddress | undefined>;
  /** `lookup` and then `get` of the call it names, in one round trip of a shared store. */
  locate?(key: string): Promise<{ readonly leg: LegAddress; readonly call: CallState | undefined } | undefined>;
  /** Number of live calls that have a leg facing this peer (for `limits.concurrent_calls`). */
  liveCallsOf(peerId: string): Promise<number>;
  /** The same for several peers, in one round trip of a shared store. */
  liveCallsOfPeers(peerIds: readonly string[]): Promise<ReadonlyMap<string, number>>;
  /**
   * Removes calls abandoned without a BYE: not updated since `early` (no dialog confirmed) or
   * `confirmed` (a confirmed dialog). Returns how many went.
   */
  expire(idleSince: { readonly early: number; readonly confirmed: number }): Promise<number>;
  /**
   * False while a shared store cannot be reached: reads and writes then go to the instance's
   * local copy, and steps are told (`guard.fail` decides). A memory store has no such method.
   */
  reachable?(): boolean;
  close?(): Promise<void>;
}
