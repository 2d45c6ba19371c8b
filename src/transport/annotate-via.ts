/**
 * Receive-side Via processing for requests (RFC 3261 18.2.1, RFC 3581 4): record where the
 * request really came from, so responses find their way back through NATs.
 */
import type { SipMessage } from '../sip/sip-message.ts';
import type { Via } from '../sip/via.ts';
import type { Endpoint } from './endpoint.ts';
import { hostKey } from './endpoint.ts';
import { readTopVia, replaceTopVia } from './top-via.ts';

/** True when the Via host and the packet source are the same address (IPv4-mapped IPv6 counts). */
function sameHost(viaHost: string, source: string): boolean {
  const a = hostKey(viaHost);
  const b = source.toLowerCase();
  return a === b || (b.startsWith('::ffff:') && b.slice(7) === a);
}

/**
 * Annotates the top Via of an inbound request in place:
 * - `received=<source ip>` when the sent-by host differs from the source address (18.2.1);
 * - when `rport` is present without a value, `rport=<source port>`, and then `received` is added
 *   even when the host matches (RFC 3581 4 requires both);
 * - an existing `received` is overwritten (only the value this hop saw is meaningful).
 * Leaves the message unchanged when the top Via cannot be parsed (the parser already refuses those).
 * Also applied to the salvaged error response of a malformed request (its Via lines are the
 * request's), so that response is routed like any other.
 */
export function annotateTopVia(req: SipMessage, source: Endpoint): void {
  let top;
  try {
    top = readTopVia(req);
  } catch {
    return;
  }
  const via = top.via;
  let rportIndex = -1;
  let receivedIndex = -1;
  const params = via.params;
  for (let i = 0; i < params.length; i++) {
    const name = params[i]?.[0].toLowerCase();
    if (name === 'rport') {
      rportIndex = i;
    } else if (name === 'received') {
      receivedIndex = i;
    }
  }
  const fillRport = rportIndex >= 0 && params[rportIndex]?.[1] === null;
  const needReceived = fillRport || !sameHost(via.host, source.address);
  if (!needReceived && receivedIndex < 0) {
    return;
  }
  const nextParams = params.slice();
  if (fillRport) {
    nextParams[rportIndex] = ['rport', String(source.port)];
  }
  if (needReceived) {
    if (receivedIndex >= 0) {
      nextParams[receivedIndex] = ['received', source.address];
    } else {
      nextParams.push(['received', source.address]);
    }
  } else {
    // The host matches and no rport: a stale received from elsewhere would misroute the response.
    nextParams.splice(receivedIndex, 1);
  }
  const next: Via = { ...via, params: nextParams };
  replaceTopVia(req, top, next);
}
