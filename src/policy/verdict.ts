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

/**
 * The engine's answer for one message.
 *
 * `action`/`status`/`sdp` are what policy decided. When `enforced` is false (monitor mode)
 * the caller reports them and forwards the message unchanged.
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
}
