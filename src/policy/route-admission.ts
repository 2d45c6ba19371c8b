import type { Reason } from './reason.ts';

/** How the routing step would send a dialog-creating request on (see routing/route-decision.ts). */
export interface RouteFacts {
  readonly senderTrusted: boolean;
  readonly senderLabel: string;
  /** `as`: a Route entry of the guard's naming an AS; `route`: loose routing; `next-hop`: `sip.next_hop`; `request-uri`: the R-URI's host. */
  readonly via: 'as' | 'route' | 'next-hop' | 'request-uri';
  /** The request carries a route token of the guard's: it claims to come back into a call. */
  readonly token: boolean;
}

/**
 * Toward where may an untrusted peer's request go? Only back into the call it belongs to (its
 * route token, whose owner the controller checks) or to the core's next hop. A Route header or
 * Request-URI of its own choosing would make the guard an open relay into the trust domain,
 * and `;as=` would let one AS hand a call to another.
 */
export function admitRoute(facts: RouteFacts): Reason | null {
  // `;as=` from an untrusted peer hands the call on, token or not: that is the core's to decide.
  if (facts.senderTrusted || (facts.via !== 'as' && (facts.token || facts.via === 'next-hop'))) {
    return null;
  }
  return {
    code: 'route.not-allowed',
    peer: facts.senderLabel,
    detail: `an untrusted peer's request goes only back into its call or to sip.next_hop, not by ${facts.via}`,
  };
}

/** How often ASes may bring one call back through route tokens, in all, one at a time per token (serial retries). */
export const MAX_RETURNS_PER_TOKEN = 3;

/** What the guard knows of the call a route token names (null when it names none). */
export interface RouteTokenFacts {
  /** The peer the hop carrying the token was handed to. */
  readonly handedTo: string | null;
  /** Returns through this token that are still up. */
  readonly liveReturns: number;
  /** Returns through any token of the call, ended or not. */
  readonly allReturns: number;
}

/**
 * May this request come back into the call its route token names? Only the AS the call was
 * handed to may bring it back (a token from anyone else is a hijack attempt); one live return per
 * token (an AS retrying serially after a failure is a new return), and a few in all: a token must
 * not mint calls under the caller's identity without end.
 */
export function admitRouteToken(call: RouteTokenFacts | null, senderPeerId: string | null): Reason | null {
  if (call === null || call.handedTo !== senderPeerId) {
    return { code: 'dialog.unknown', detail: 'route token matches no call handed to this peer' };
  }
  if (call.liveReturns > 0 || call.allReturns >= MAX_RETURNS_PER_TOKEN) {
    return { code: 'dialog.unknown', detail: 'route token already brought its call back' };
  }
  return null;
}
