/**
 * A peer's limits (`limits.requests_per_second` with `burst`, `limits.concurrent_calls`) as
 * decisions over facts: the caller says whether the peer's bucket has a token and how many calls
 * it has up; the answer says whether to refuse and whether to charge the bucket. Each reason
 * (`peer.rate-limited`, `peer.concurrent-calls`) is decided here and nowhere else.
 */
import type { Peer } from '../profile/profile-types.ts';
import type { PolicyRefusal } from './policy-refusal.ts';

/** Ending what is under way is never metered: a rate limit must not keep a call from being torn down. */
const UNMETERED_IN_DIALOG = new Set(['BYE', 'CANCEL']);

export interface RateFacts {
  readonly peer: Peer | undefined;
  readonly method: string;
  /** In-dialog requests of trusted peers and hang-ups are not metered; new dialogs always are. */
  readonly inDialog: boolean;
  /** Whether the peer's bucket holds a token now. */
  readonly tokenAvailable: (peer: Peer) => boolean;
}

export type RateDecision =
  | { readonly admitted: true; /** The peer whose bucket the request takes a token from, if any. */ readonly charge: Peer | null }
  | { readonly admitted: false; readonly refusal: PolicyRefusal };

/**
 * New dialogs count against the sender's rate, and so do the in-dialog requests that make the
 * core work (re-offers, INFO, MESSAGE, PRACK, ACK…) of an untrusted peer. An ACK over the rate is
 * dropped by the caller (it cannot be answered): the 2xx it acknowledges comes again.
 */
export function admitRate(facts: RateFacts): RateDecision {
  const { peer } = facts;
  const metered = peer !== undefined && (!facts.inDialog || (!peer.trusted && !UNMETERED_IN_DIALOG.has(facts.method)));
  if (!metered || peer.limits.requestsPerSecond === null) {
    return { admitted: true, charge: null };
  }
  if (!facts.tokenAvailable(peer)) {
    return { admitted: false, refusal: { status: 503, reasons: [{ code: 'peer.rate-limited', peer: peer.id }], headers: [{ name: 'Retry-After', value: '1' }] } };
  }
  return { admitted: true, charge: peer };
}

/** A new call is refused when the sender or the peer it goes to already has `concurrent_calls` up. */
export function admitConcurrentCalls(peers: readonly (Peer | undefined)[], liveCalls: ReadonlyMap<string, number>): PolicyRefusal | null {
  for (const limited of peers) {
    const cap = limited?.limits.concurrentCalls ?? null;
    if (limited !== undefined && cap !== null && (liveCalls.get(limited.id) ?? 0) >= cap) {
      return { status: 503, reasons: [{ code: 'peer.concurrent-calls', peer: limited.id }], headers: [{ name: 'Retry-After', value: '5' }] };
    }
  }
  return null;
}
