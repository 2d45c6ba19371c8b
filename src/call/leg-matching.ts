/**
 * What the controller does with a message whose identifiers name no leg or transaction. The
 * server drops it (strict): identifiers are the only thing that ties a message to a call.
 * `dc-guard check` plays hand-written message files whose Call-IDs and tags cannot know what the
 * guard generated, and brings its own matching (src/cli/lenient-matching.ts); it never reaches
 * the server.
 */
import type { CallStore } from '../state/call-store.ts';
import type { CallState, HopState, LegSide, PendingTransaction } from '../state/call-state.ts';

/** A call and the leg a message named in it. */
export interface Located {
  readonly call: CallState;
  readonly hop: number;
  readonly side: LegSide;
}

export interface LegMatching {
  /** A leg for a message whose identifiers name none; `accepts` says which legs would do. */
  fallbackLeg(store: CallStore, accepts: (hop: HopState, side: LegSide) => boolean): Located | null;
  /** A transaction for a response whose CSeq names none on its leg. */
  fallbackTransaction(hop: HopState, side: LegSide, method: string): PendingTransaction | undefined;
}

export const STRICT_MATCHING: LegMatching = {
  fallbackLeg: () => null,
  fallbackTransaction: () => undefined,
};
