/**
 * Whether a message may act on a leg or transaction of a call. Dialog identifiers (Call-ID,
 * tags, CSeq, Via branch) are copied from messages an attacker may have seen; they say which
 * leg a message names, never who may use it. Only the peer a leg faces may send requests,
 * responses, CANCEL, ACK or PRACK on it. `dialog.wrong-peer` is decided here and nowhere else.
 */
import { isIP } from 'node:net';
import { parseUri } from '../sip/sip-uri.ts';
import type { Reason } from './reason.ts';
import type { Sender } from './sender.ts';

/** What a leg says about the party it faces (src/state/call-state.ts LegState). */
export interface LegFacing {
  /** The peer the leg faces, or null when its address matched no peer. */
  readonly peerId: string | null;
  /** Upstream legs: where the dialog-creating request came from. */
  readonly sourceAddress: string | null;
  /** Where the guard sends requests on the leg. */
  readonly target: string;
  /** CSeq number of the last INVITE this leg's peer sent. */
  readonly inviteCseqIn: number | null;
}

/** How the message uses the leg. */
export type LegUse =
  | { readonly kind: 'request'; readonly method: string }
  | { readonly kind: 'ack'; readonly cseq: number }
  | { readonly kind: 'cancel' }
  | { readonly kind: 'response' };

/** Null when `sender` may use `leg` this way; else the reason the message is refused (or dropped) and changes nothing. */
export function wrongPeer(leg: LegFacing, sender: Sender, use: LegUse): Reason | null {
  if (!faces(leg, sender)) {
    return { code: 'dialog.wrong-peer', peer: sender.label, detail: wrongPeerDetail(use) };
  }
  // RFC 3261 17.1.1.3, 13.2.2.4: an ACK comes from whoever sent the INVITE it acknowledges, with
  // its CSeq number (so a re-INVITE of the other side in glare does not take the ACK's place).
  if (use.kind === 'ack' && use.cseq !== leg.inviteCseqIn) {
    return { code: 'dialog.wrong-peer', peer: sender.label, detail: 'ACK from the side that did not send the INVITE' };
  }
  return null;
}

function wrongPeerDetail(use: LegUse): string {
  switch (use.kind) {
    case 'request':
      return `${use.method} on a dialog of another peer`;
    case 'ack':
      return 'ACK on a dialog of another peer';
    case 'cancel':
      return 'CANCEL of an INVITE another peer sent';
    case 'response':
      return 'response on a leg facing another peer';
  }
}

/**
 * A message from `sender` may act on `leg` only when it comes from the peer the leg faces. A
 * leg toward an address no peer matches is faced only by that address itself.
 */
function faces(leg: LegFacing, sender: Sender): boolean {
  if (leg.peerId !== null) {
    return leg.peerId === (sender.peer?.id ?? null);
  }
  if (sender.peer !== undefined) {
    return false;
  }
  if (leg.sourceAddress !== null) {
    return leg.sourceAddress.toLowerCase() === sender.address.toLowerCase();
  }
  const host = uriHost(leg.target);
  return host === null || isIP(host) === 0 || host === sender.address.toLowerCase();
}

/** Lower-cased, unbracketed host of a SIP URI, or null. */
export function uriHost(uri: string): string | null {
  const parsed = parseUri(uri);
  return parsed === null ? null : parsed.host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}
