/**
 * The first decision on every request, before the guard looks at its dialog or body: is the sender
 * a peer at all, may the request be forwarded once more, and can the guard act on every extension
 * it requires. Pure: facts in, the refusal (or none) out; each reason decided here and nowhere else.
 */
import type { UnknownPeerPolicy } from '../profile/profile-types.ts';
import type { Reason } from './reason.ts';

export interface RequestAdmissionFacts {
  readonly method: string;
  /** False when no peer of the profile matches the sender. */
  readonly peerKnown: boolean;
  readonly unknownPeers: UnknownPeerPolicy;
  /** The sender's transport address, for the reason's detail. */
  readonly sourceAddress: string;
  /** The Max-Forwards value as written, undefined when absent. */
  readonly maxForwards: string | undefined;
  /** Option tags of Require / Proxy-Require the guard does not support (RFC 3261 8.2.2.3). */
  readonly unsupported: readonly string[];
}

export type RequestAdmission =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly status: number; readonly reasons: readonly Reason[]; readonly headers: readonly { readonly name: string; readonly value: string }[] };

const ADMITTED: RequestAdmission = { admitted: true };

/** A source no peer matches, under `guard.unknown_peers: reject`: refused before anything else, the store included. */
export function refusesSource(peerKnown: boolean, unknownPeers: UnknownPeerPolicy): boolean {
  return !peerKnown && unknownPeers === 'reject';
}

export function admitRequest(facts: RequestAdmissionFacts): RequestAdmission {
  if (refusesSource(facts.peerKnown, facts.unknownPeers)) {
    return { admitted: false, status: 403, reasons: [{ code: 'peer.unknown', detail: `no peer matches ${facts.sourceAddress}` }], headers: [] };
  }
  // RFC 3261 16.3 step 3 / 8.2.2: no hop left (an absent or unreadable value counts as the default 70).
  const maxForwards = Number(facts.maxForwards ?? 70);
  if (Number.isFinite(maxForwards) && maxForwards <= 0 && facts.method !== 'ACK') {
    return { admitted: false, status: 483, reasons: [], headers: [] };
  }
  // RFC 3261 8.2.2.3: an extension the guard would have to act on and does not know is refused.
  if (facts.unsupported.length > 0) {
    const tags = facts.unsupported.join(', ');
    return { admitted: false, status: 420, reasons: [{ code: 'sip.extension-unsupported', detail: tags.slice(0, 200) }], headers: [{ name: 'Unsupported', value: tags }] };
  }
  return ADMITTED;
}
