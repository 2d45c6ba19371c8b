import { isIP } from 'node:net';
import { uriHost } from '../policy/leg-ownership.ts';
import type { PeerDirectory } from '../profile/peer-directory.ts';
import { nameAddrUri } from '../sip/name-addr.ts';
import type { LegState } from '../state/call-state.ts';

/**
 * Where an in-dialog request on `leg` goes (RFC 3261 12.2.1.1: first route-set entry, else the
 * remote target). Both come from the peer's own Contact and Record-Route: an untrusted peer
 * could point them at any host, and the guard's request would arrive there from a trusted
 * address. So toward an untrusted peer the destination must be one of that peer's own
 * addresses, else the guard sends to the peer's `uri`.
 */
export function inDialogDestination(leg: LegState, peers: PeerDirectory): string {
  const wanted = nameAddrUri(leg.routeSet[0]) ?? leg.remoteTarget;
  if (leg.trusted) {
    return wanted;
  }
  const host = uriHost(wanted);
  if (host !== null && isIP(host) !== 0) {
    const own = leg.peerId === null ? host === leg.sourceAddress?.toLowerCase() : peers.byAddress(host)?.id === leg.peerId;
    if (own) {
      return wanted;
    }
  }
  // Never the peer's own Contact: its configured uri, else where its request came from, else
  // (a leg the guard opened) where the guard sent it.
  const configured = leg.peerId === null ? null : (peers.byId(leg.peerId)?.uri ?? null);
  return configured ?? leg.sourceUri ?? leg.target;
}
