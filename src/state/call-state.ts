import type { DcOwner, MediaOwner } from '../policy/verdict.ts';
import type { IdentityOriginals } from '../privacy/identity-restorer.ts';
import type { IssuedIdentity } from '../privacy/issued-identity.ts';
import type { IdentityMode } from '../profile/profile-types.ts';
import type { SipHeader } from '../sip/sip-message.ts';

/**
 * Per-call state. Plain JSON data on purpose: the store may keep it in another process
 * (Redis) and several guard instances may pick a call up. Immutable: a message's step
 * (src/call/call-step.ts) returns the next state and never changes the one it was given, so a
 * refusal cannot leave half a change behind, and `version` lets a shared store refuse a write
 * made from a stale read (compare-and-set).
 */
export type LegSide = 'upstream' | 'downstream';

/** One side of a hop: the dialog between the guard and one peer (RFC 3261 12). */
export interface LegState {
  /** Peer id on this leg, or null when the address matched no peer. */
  readonly peerId: string | null;
  readonly trusted: boolean;
  readonly identity: IdentityMode;
  /** Where requests on this leg go: the peer's URI or address. */
  readonly target: string;
  /** Upstream legs: the transport address the dialog-creating request came from (who faces an unknown-peer leg). */
  readonly sourceAddress: string | null;
  /** Upstream legs: that source as a URI: where in-dialog requests go when the peer's own Contact may not be trusted. */
  readonly sourceUri: string | null;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string | null;
  /** Our own From (upstream: To) value on this leg, without tag. */
  readonly localUri: string;
  readonly remoteUri: string;
  /** The peer's Contact: Request-URI of in-dialog requests we send on this leg. */
  readonly remoteTarget: string;
  readonly routeSet: readonly string[];
  /** Last CSeq number the guard used for a request it sent on this leg. */
  readonly localCseq: number;
  /** CSeq of the INVITE (initial or re-) the guard last sent on this leg, for its ACK and CANCEL. */
  readonly inviteCseq: number;
  /** CSeq number of the last INVITE this leg's peer sent: the only ACK it may send names it. */
  readonly inviteCseqIn: number | null;
  /** The last SDP the guard sent on this leg: its o= version and its text without o= (RFC 3264 8). */
  readonly sdpSent: { readonly version: string; readonly body: string } | null;
  /** Where offer and answer stand on this leg (src/call/leg-negotiation.ts). */
  readonly negotiation: Negotiation;
}

/** An offer the guard sent on a leg, waiting for that leg's peer to answer it (RFC 3264 4). */
export interface SentOffer {
  /** The SDP the guard sent: the answer is aligned to it. */
  readonly sdp: string;
  /**
   * Where the answer comes: in the responses to the guard's request with this CSeq (an early
   * answer in a provisional, and the final one), or, for an offer the guard put in a response
   * to an offerless INVITE, in the peer's ACK or PRACK (RFC 3261 13.2.1, RFC 3262 5).
   */
  readonly answerIn: { readonly kind: 'response'; readonly cseq: number; readonly method: string } | { readonly kind: 'ack-or-prack' };
  /** Channels and DC m-lines the offer adds, owned by their initiator once an answer keeps them. */
  readonly created: readonly DcOwner[];
  readonly openedMedia: readonly MediaOwner[];
}

/**
 * Offer/answer on one leg, from the guard's side (RFC 3264; SIP.js's SignalingState). What the
 * guard sent, never what a peer sent, is the baseline a later offer toward the leg is compared
 * with: a channel the guard stripped is not "already there".
 * - `stable`: no offer of the guard's is outstanding; `session` is what stands on the leg.
 * - `offer-sent`: the guard's offer awaits the peer's answer; `session` is what stood before it
 *   and stands again if the offer is refused. An early answer (`answered`) keeps the state until
 *   the final response, whose SDP, if any, answers the same offer.
 */
export type Negotiation =
  | { readonly state: 'stable'; readonly session: string | null }
  | { readonly state: 'offer-sent'; readonly session: string | null; readonly offer: SentOffer; readonly answered: boolean };

/** A request the guard forwarded, waiting for responses to relay back. */
export interface PendingTransaction {
  readonly method: string;
  /** Leg the request came in on; responses go back there. */
  readonly inboundSide: LegSide;
  /** CSeq of the request on the leg it went out on. */
  readonly outboundCseq: number;
  /** Via branch of the request the guard sent: a CANCEL must repeat it (RFC 3261 9.1). */
  readonly branch: string;
  /** Headers of the inbound request that its responses echo (RFC 3261 8.2.6.2). */
  readonly echo: readonly SipHeader[];
  /** The request carried an offer: an SDP in its responses is an answer, never an offer (the offer is on its leg's `negotiation`). */
  readonly carriedOffer: boolean;
}

/** The session timer a hop's last 2xx to an INVITE or UPDATE settled on (RFC 4028 9). */
export interface SessionTimer {
  readonly intervalSec: number;
  /** The leg whose peer refreshes (the 2xx's `refresher`: the UAC or the UAS of the request it answered). */
  readonly refresher: LegSide;
  /** When the session ends unless a refresh (another such 2xx) comes first (epoch ms). */
  readonly expiresAt: number;
}

export interface HopState {
  readonly id: string;
  readonly upstream: LegState;
  readonly downstream: LegState;
  /** Opaque token the guard put on the route toward an untrusted AS, or null. */
  readonly token: string | null;
  /** Index of the hop whose AS sent this hop's initial request, or null. */
  readonly linkedHop: number | null;
  /** Outstanding forwarded requests keyed `${outboundSide}:${cseq}:${method}`. */
  readonly transactions: Readonly<Record<string, PendingTransaction>>;
  readonly phase: 'early' | 'confirmed' | 'ended';
  /** The hop ended by a BYE the guard relayed (not by a failure): a partner AS then relays a hang-up. */
  readonly endedByBye: boolean;
  /**
   * Hops toward an AS: where the request was to go on when the guard handed it to the AS (the
   * Route entries after the guard's own, and the target they lead to). The AS's onward request
   * resumes there, whatever Route entries it wrote itself.
   */
  readonly resume: { readonly routes: readonly string[]; readonly target: string } | null;
  /** The hop's session timer; absent: none (no Session-Expires in its last 2xx, or a hop from before timers were tracked). */
  readonly sessionTimer?: SessionTimer;
}

export interface CallState {
  readonly id: string;
  /** Bumped by every write: the store refuses a write whose read is no longer current. */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly servedUsers: readonly string[];
  readonly owners: readonly DcOwner[];
  readonly mediaOwners: readonly MediaOwner[];
  /** pseudonym URI -> the identity it stands for, issued toward untrusted peers in this call. */
  readonly issued: Readonly<Record<string, IssuedIdentity>>;
  /** Identities of the first request as the trusted side sent them (see identity-restorer). */
  readonly originals: IdentityOriginals | null;
  readonly hops: readonly HopState[];
}

export function transactionKey(side: LegSide, cseq: number, method: string): string {
  return `${side}:${cseq}:${method}`;
}

export function otherSide(side: LegSide): LegSide {
  return side === 'upstream' ? 'downstream' : 'upstream';
}
