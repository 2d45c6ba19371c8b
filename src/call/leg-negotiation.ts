/**
 * The moves of a leg's offer/answer state (src/state/call-state.ts `Negotiation`), one function
 * per event: the guard sends an offer, sends other SDP, receives the answer, or sees the
 * offer's transaction end without one.
 */
import type { LegState, SentOffer } from '../state/call-state.ts';
import type { LegDraft } from './call-draft.ts';

export const STABLE_EMPTY = { state: 'stable', session: null } as const;

/** The last SDP the guard sent on the leg that still counts: an unanswered offer, else the session. */
export function lastSent(leg: LegState): string | null {
  const n = leg.negotiation;
  return n.state === 'offer-sent' && !n.answered ? n.offer.sdp : n.session;
}

/** The offer an answer on this leg would answer: in a response to `carrier` (CSeq and method of the guard's request), or in an ACK/PRACK. */
export function awaitedOffer(leg: LegState, carrier: { readonly cseq: number; readonly method: string } | 'ack-or-prack'): SentOffer | null {
  const n = leg.negotiation;
  if (n.state !== 'offer-sent') {
    return null;
  }
  const awaited = n.offer.answerIn;
  if (carrier === 'ack-or-prack') {
    return awaited.kind === 'ack-or-prack' ? n.offer : null;
  }
  return awaited.kind === 'response' && awaited.cseq === carrier.cseq && awaited.method === carrier.method ? n.offer : null;
}

export function sentOffer(leg: LegDraft, offer: SentOffer): void {
  leg.negotiation = { state: 'offer-sent', session: lastSent(leg), offer, answered: false };
}

/** The guard sent SDP that is no offer of its own (an answer it relays, a trusted peer's body): it is what stands now. */
export function sentOtherSdp(leg: LegDraft, sdp: string): void {
  leg.negotiation = { ...leg.negotiation, session: sdp };
}

/**
 * The leg's peer answered the guard's offer: what both agreed on stands (`agreed`, else the offer
 * as sent). An early answer keeps the offer for the final response; a final one, an ACK or a
 * PRACK ends it.
 */
export function answerReceived(leg: LegDraft, agreed: string | null, final: boolean): void {
  const n = leg.negotiation;
  const session = agreed ?? lastSent(leg);
  leg.negotiation = n.state === 'offer-sent' && !final ? { ...n, session, answered: true } : { state: 'stable', session };
}

/**
 * The offer's transaction ended without an answer in its final response: refused (RFC 3264 8), the
 * session stays as it was, or as the early answer or the SDP the guard sent since made it; accepted
 * without one (an answer the peer owed), the offer as sent stands.
 */
export function offerClosed(leg: LegDraft, status: number): void {
  const n = leg.negotiation;
  if (n.state === 'offer-sent') {
    leg.negotiation = { state: 'stable', session: status >= 300 || n.answered ? n.session : n.offer.sdp };
  }
}
