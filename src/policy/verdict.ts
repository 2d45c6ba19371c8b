import type { Reason } from './reason.ts';

/** Who created a channel: recorded when the offer that added it is answered. */
export interface DcOwner {
  readonly mediaIndex: number;
  readonly streamId: number;
  readonly owner: string;
}

/** Who opened a DC m-line: its bandwidth is theirs to set. */
export interface MediaOwner {
  readonly mediaIndex: number;
  readonly owner: string;
}

/** Monitor mode: what enforce mode would have done, where it differs from what was done. */
export interface WouldHave {
  readonly action: 'forward' | 'reject';
  readonly status: number | null;
  readonly sdpChanged: boolean;
}

/** What the guard does with a message: the decision itself in enforce mode, nothing in monitor mode. */
export interface AppliedVerdict {
  readonly action: 'forward' | 'reject';
  readonly status: number | null;
  /** The SDP to send instead of the input, or null to send the input as it is. */
  readonly sdp: string | null;
  readonly created: readonly DcOwner[];
  readonly openedMedia: readonly MediaOwner[];
}

/**
 * The engine's answer for one message.
 *
 * `action`/`status`/`sdp` are what policy decided; `applied` is what the guard does about it and
 * `wouldHave` what enforce mode would have done instead. Monitor mode is resolved here, once:
 * callers apply `applied` and report `wouldHave`, and never look at the mode themselves.
 */
export interface Verdict {
  readonly action: 'forward' | 'reject';
  /** SIP status to answer with when rejecting, else null. */
  readonly status: number | null;
  readonly reasons: readonly Reason[];
  /** The SDP to forward: the input string itself when policy changed nothing, null when there was none. */
  readonly sdp: string | null;
  /** Channels this offer adds that survive policy, owned by the initiator once answered. */
  readonly created: readonly DcOwner[];
  /** DC m-lines this offer opens that survive policy. */
  readonly openedMedia: readonly MediaOwner[];
  readonly enforced: boolean;
  readonly applied: AppliedVerdict;
  readonly wouldHave: WouldHave | null;
}
