/**
 * A call handed to an untrusted AS crosses the guard twice: hop 1 (toward the AS) and hop 2 (the
 * AS's onward request, tied to hop 1 by the route token). These look across the two, so that
 * the AS is policed only for what it changed itself, not for what it relays.
 */
import type { CallState, HopState, LegSide, PendingTransaction } from '../state/call-state.ts';
import { lastSent } from './leg-negotiation.ts';

/** The offer the guard last handed an AS on a partner hop, in a request of `method` still open: what the AS's own offer is compared with. */
export function partnerOffer(call: CallState, hopIndex: number, side: LegSide, method: string): string | null {
  const negotiation = call.hops[hopIndex]?.[side].negotiation;
  return negotiation?.state === 'offer-sent' && negotiation.offer.answerIn.kind === 'response' && negotiation.offer.answerIn.method === method
    ? negotiation.offer.sdp
    : null;
}

/** Hops tied to this one by a route token: the two sides of one AS's handling of the call. */
export function partnerHops(call: CallState, hopIndex: number): { index: number; hop: HopState }[] {
  const hop = call.hops[hopIndex];
  if (hop === undefined) {
    return [];
  }
  return call.hops
    .map((other, index) => ({ index, hop: other }))
    .filter(({ index, hop: other }) => index !== hopIndex && (other.linkedHop === hopIndex || hop.linkedHop === index));
}

export function partnerOfferFor(call: CallState, hopIndex: number, asPeerId: string | null, method: string): string | null {
  if (asPeerId === null) {
    return null;
  }
  for (const { index, hop } of partnerHops(call, hopIndex)) {
    for (const side of ['upstream', 'downstream'] as const) {
      if (hop[side].peerId === asPeerId) {
        const offer = partnerOffer(call, index, side, method);
        if (offer !== null) {
          return offer;
        }
      }
    }
  }
  return null;
}

/** The SDP the guard last sent the AS on a partner hop: what the AS relays back is not its own doing. */
export function partnerSdpSentTo(call: CallState, hopIndex: number, asPeerId: string | null): string | null {
  if (asPeerId === null) {
    return null;
  }
  for (const { hop } of partnerHops(call, hopIndex)) {
    for (const side of ['upstream', 'downstream'] as const) {
      const sent = hop[side].peerId === asPeerId ? lastSent(hop[side]) : null;
      if (sent !== null) {
        return sent;
      }
    }
  }
  return null;
}

export function relaysPartnerBye(call: CallState, hopIndex: number, asPeerId: string | null): boolean {
  if (asPeerId === null) {
    return false;
  }
  return partnerHops(call, hopIndex).some(
    ({ hop }) =>
      (hop.upstream.peerId === asPeerId || hop.downstream.peerId === asPeerId) &&
      // Only a hang-up: a partner hop that failed (404) or was refused gives the AS no BYE to relay.
      (hop.endedByBye || Object.entries(hop.transactions).some(([key, txn]) => txn.method === 'BYE' && byeToward(hop, key, asPeerId))),
  );
}

/** A BYE transaction the guard sent toward the AS (keys are `${outboundSide}:${cseq}:${method}`). */
function byeToward(hop: HopState, key: string, asPeerId: string): boolean {
  const side = key.startsWith('upstream:') ? 'upstream' : 'downstream';
  return hop[side].peerId === asPeerId;
}

export function latestTransaction(hop: HopState, side: LegSide, method: string): PendingTransaction | undefined {
  let latest: PendingTransaction | undefined;
  for (const [key, txn] of Object.entries(hop.transactions)) {
    if (key.startsWith(`${side}:`) && txn.method === method && (latest === undefined || txn.outboundCseq > latest.outboundCseq)) {
      latest = txn;
    }
  }
  return latest;
}
