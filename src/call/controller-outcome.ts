import type { Reason } from '../policy/reason.ts';
import type { WouldHave } from '../policy/verdict.ts';
import type { SipMessage, SipResponse } from '../sip/sip-message.ts';

/** Where a message goes: a peer of the profile, or an address no peer matches. */
export interface Destination {
  readonly peerId: string | null;
  /** URI whose host and port the transport sends to (for responses: the leg's peer). */
  readonly uri: string;
}

/** What the guard decided about one message, for the decision log and `dc-guard check`. */
export interface DecisionReport {
  /** Opaque id of the call state (not the Call-ID, which may carry a number or a host). */
  readonly call: string | null;
  readonly from: string;
  readonly initiator: string | null;
  readonly message: string;
  readonly action: 'forward' | 'reject' | 'drop';
  readonly status: number | null;
  readonly reasons: readonly Reason[];
  /** Monitor mode: what enforce mode would have done, when it differs from what was done. */
  readonly wouldHave: WouldHave | null;
}

export type ControllerOutcome =
  | { readonly kind: 'forward'; readonly to: Destination; readonly message: SipMessage; readonly report: DecisionReport }
  | { readonly kind: 'reply'; readonly to: Destination; readonly response: SipResponse; readonly report: DecisionReport }
  | { readonly kind: 'drop'; readonly report: DecisionReport };
