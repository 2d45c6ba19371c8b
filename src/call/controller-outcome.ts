import type { Reason } from '../policy/reason.ts';
import type { WouldHave } from '../policy/verdict.ts';
import type { SipMessage, SipRequest, SipResponse } from '../sip/sip-message.ts';

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

/**
 * A request the guard makes itself rather than relays: the ACK and BYE that end a second 2xx of
 * a forked INVITE (RFC 3261 13.2.2.4), the BYE on each leg of a call whose session timer ran
 * out (RFC 4028 10). Complete as it goes on the wire (the leg's Call-ID, tags, route set, remote
 * target and next CSeq, Max-Forwards, a new Via branch): a front end sends an ACK statelessly and
 * anything else as a client transaction of its own, whose responses end there (no inbound
 * transaction waits for them, and the controller's state has already moved on).
 */
export interface OriginatedRequest {
  readonly to: Destination;
  readonly request: SipRequest;
}

type Decided =
  | { readonly kind: 'forward'; readonly to: Destination; readonly message: SipMessage; readonly report: DecisionReport }
  | { readonly kind: 'reply'; readonly to: Destination; readonly response: SipResponse; readonly report: DecisionReport }
  | { readonly kind: 'drop'; readonly report: DecisionReport };

/** What to do with the message, and the requests the guard sends of its own besides (absent: none). */
export type ControllerOutcome = Decided & { readonly originate?: readonly OriginatedRequest[] };
