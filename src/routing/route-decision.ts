import type { PeerDirectory } from '../profile/peer-directory.ts';
import type { Peer } from '../profile/profile-types.ts';
import { parseNameAddr } from '../sip/name-addr.ts';
import type { SipRequest } from '../sip/sip-message.ts';
import { getHeaderValues } from '../sip/sip-headers.ts';
import { parseUri, uriParam } from '../sip/sip-uri.ts';
import type { GuardSelf } from './guard-self.ts';

/** Route parameter naming the AS a request is to be handed to (`;as=<peer-id>`). */
export const AS_PARAM = 'as';
/** Route parameter carrying the opaque token that brings an AS's onward request back to its call. */
export const TOKEN_PARAM = 'dcg';

export type RouteDecision =
  | {
      readonly ok: true;
      /** Where the request goes: the URI whose host and port the transport uses. */
      readonly target: string;
      /** Route values left after the guard's own entry is removed (RFC 3261 16.4). */
      readonly routes: readonly string[];
      /** Peer named by `;as=`: the request goes to it. */
      readonly asPeer: Peer | null;
      /** Token found on the guard's own entry: the request returns from an AS. */
      readonly token: string | null;
      readonly via: 'as' | 'route' | 'next-hop' | 'request-uri';
    }
  | { readonly ok: false; readonly status: number; readonly detail: string };

/**
 * Where a dialog-creating request goes next. The guard's own Route entry is popped; `;as=`
 * sends to that peer's `uri`; otherwise the next Route entry (loose routing), else
 * `sip.next_hop`, else the Request-URI.
 */
export function decideRoute(req: SipRequest, self: GuardSelf, peers: PeerDirectory, nextHop: string | null): RouteDecision {
  const routes = getHeaderValues(req, 'Route');
  let asPeer: Peer | null = null;
  let token: string | null = null;
  const first = routes[0];
  if (first !== undefined) {
    let uri;
    try {
      uri = parseUri(parseNameAddr(first).uri);
    } catch {
      return { ok: false, status: 400, detail: 'unreadable Route header' };
    }
    if (uri !== null && self.owns(uri)) {
      routes.shift();
      const asId = uriParam(uri, AS_PARAM);
      const tokenValue = uriParam(uri, TOKEN_PARAM);
      token = typeof tokenValue === 'string' ? tokenValue : null;
      if (typeof asId === 'string') {
        asPeer = peers.byId(asId) ?? null;
        if (asPeer === null) {
          return { ok: false, status: 404, detail: `Route names AS "${asId}", which is not a peer of this profile` };
        }
        if (asPeer.uri === null) {
          return { ok: false, status: 404, detail: `peer "${asId}" has no uri to reach it at` };
        }
        return { ok: true, target: asPeer.uri, routes, asPeer, token, via: 'as' };
      }
    }
  }
  const next = routes[0];
  if (next !== undefined) {
    try {
      return { ok: true, target: parseNameAddr(next).uri, routes, asPeer, token, via: 'route' };
    } catch {
      return { ok: false, status: 400, detail: 'unreadable Route header' };
    }
  }
  if (nextHop !== null) {
    return { ok: true, target: nextHop, routes, asPeer, token, via: 'next-hop' };
  }
  return { ok: true, target: req.uri, routes, asPeer, token, via: 'request-uri' };
}

/** The peer a URI designates: by IP address, else by the host of a peer's own `uri`. */
export function peerForUri(uri: string, peers: PeerDirectory, all: readonly Peer[]): Peer | undefined {
  const parsed = parseUri(uri);
  if (parsed === null) {
    return undefined;
  }
  const host = parsed.host.replace(/^\[(.*)\]$/, '$1');
  const byAddress = peers.byAddress(host);
  if (byAddress !== undefined) {
    return byAddress;
  }
  const lower = host.toLowerCase();
  return all.find((p) => p.uri !== null && parseUri(p.uri)?.host.toLowerCase() === lower);
}
