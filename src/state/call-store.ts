import type { CallState, LegSide } from '../call/call-state.ts';

/** Where one leg of a hop lives: found by the dialog identifiers the guard chose on it. */
export interface LegAddress {
  readonly callStateId: string;
  readonly hop: number;
  readonly side: LegSide;
}

/**
 * Call state behind an interface: in memory for one instance now, shared (Redis) later.
 * Keys: `leg:<Call-ID>:<guard's tag>` for every leg, `early:<Call-ID>:<peer's From tag>` for an
 * upstream leg before it is confirmed (CANCEL, retransmissions), `token:<route token>`.
 */
export interface CallStore {
  get(id: string): Promise<CallState | undefined>;
  put(call: CallState): Promise<void>;
  delete(id: string): Promise<void>;
  index(key: string, leg: LegAddress): Promise<void>;
  lookup(key: string): Promise<LegAddress | undefined>;
  /** Number of live calls that have a leg facing this peer (for `limits.concurrent_calls`). */
  liveCallsOf(peerId: string): Promise<number>;
  /**
   * Removes calls abandoned without a BYE: not updated since `early` (no dialog confirmed) or
   * `confirmed` (a confirmed dialog). Returns how many went.
   */
  expire(idleSince: { readonly early: number; readonly confirmed: number }): Promise<number>;
}
