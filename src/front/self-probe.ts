/**
 * An OPTIONS addressed to the guard itself: how a dispatcher in front of several guards
 * (Kamailio's `dispatcher` module, `ds_ping_interval`) learns which of them serve. Answered by
 * the guard, never routed: 200 while serving, 503 with Retry-After while draining, so the
 * dispatcher stops sending new calls to a guard that is stopping before it is gone.
 *
 * The answer says what any SIP element says of itself in a 200 to OPTIONS (RFC 3261 11.2:
 * Allow, Accept, Supported) and nothing else: no Server header, no Warning, no identity, no
 * peer, no count. The same bytes go to every known peer, trusted or not, so an untrusted AS
 * probing the guard learns that it is up and which methods it takes, which the guard's
 * answers to its calls tell it anyway.
 *
 * "Addressed to the guard" is read narrowly, so that nothing meant for a user is answered here:
 * - Max-Forwards 0: RFC 3261 16.3 item 3 lets an element answer an OPTIONS with no hop left
 *   itself (Kamailio's and SIPp's `Max-Forwards: 0` pings);
 * - or a Request-URI without a user part naming one of the guard's addresses (its listen
 *   addresses or public URI: src/routing/guard-self.ts), with no Route or only Route entries
 *   naming the guard without a routing parameter (`;as=`, `;dcg=`), i.e. nothing further to go to.
 * An OPTIONS with a user in its Request-URI (`sip:bob@...`), or with a Route beyond the guard,
 * or with a To tag (in a dialog), is the controller's, policed and routed as any request.
 */
import { echoHeaders, reasonPhrase, responseOnLeg } from '../call/sip-builders.ts';
import { AS_PARAM, TOKEN_PARAM } from '../routing/route-decision.ts';
import type { GuardSelf } from '../routing/guard-self.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { parseNameAddr } from '../sip/name-addr.ts';
import { SUPPORTED_EXTENSIONS } from '../sip/required-extensions.ts';
import { getHeader, getHeaderValues } from '../sip/sip-headers.ts';
import type { SipHeader, SipRequest, SipResponse } from '../sip/sip-message.ts';
import { parseUri, uriParam } from '../sip/sip-uri.ts';

/** The methods the guard takes (what its front ends hand to the controller), for Allow. */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'PRACK', 'UPDATE', 'INFO', 'MESSAGE', 'REFER', 'NOTIFY', 'SUBSCRIBE'] as const;

/** How long a draining guard asks a dispatcher to wait before probing again (seconds). */
export const DRAIN_RETRY_AFTER_S = 5;

/** A fixed To tag: the answer opens no dialog, and a per-guard tag would tell guards apart. */
const PROBE_TAG = 'dcg-probe';

/** True when `req` is an out-of-dialog OPTIONS addressed to this guard (see the module comment). */
export function isSelfProbe(req: SipRequest, self: GuardSelf): boolean {
  if (req.method !== 'OPTIONS' || tagOf(getHeader(req, 'To')) !== null) {
    return false;
  }
  const maxForwards = getHeader(req, 'Max-Forwards');
  if (maxForwards !== undefined && /^\s*0+\s*$/.test(maxForwards)) {
    return true;
  }
  const target = parseUri(req.uri);
  if (target === null || target.scheme === 'tel' || target.user !== null || !self.owns(target)) {
    return false;
  }
  return getHeaderValues(req, 'Route').every((route) => namesGuardOnly(route, self));
}

/** A Route entry naming the guard and carrying no routing parameter of the guard's own. */
function namesGuardOnly(route: string, self: GuardSelf): boolean {
  let uri;
  try {
    uri = parseUri(parseNameAddr(route).uri);
  } catch {
    return false;
  }
  return uri !== null && self.owns(uri) && uriParam(uri, AS_PARAM) === undefined && uriParam(uri, TOKEN_PARAM) === undefined;
}

/** The answer to a self probe: 200 with what the guard takes while serving, 503 with Retry-After while draining. */
export function selfProbeAnswer(req: SipRequest, draining: boolean): SipResponse {
  if (draining) {
    return responseOnLeg(echoHeaders(req), 503, reasonPhrase(503), PROBE_TAG, [{ name: 'Retry-After', value: String(DRAIN_RETRY_AFTER_S) }]);
  }
  const headers: SipHeader[] = [
    { name: 'Allow', value: ALLOWED_METHODS.join(', ') },
    { name: 'Accept', value: 'application/sdp' },
    { name: 'Supported', value: [...SUPPORTED_EXTENSIONS].join(', ') },
  ];
  return responseOnLeg(echoHeaders(req), 200, 'OK', PROBE_TAG, headers);
}
