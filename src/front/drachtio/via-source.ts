import type { SipRequest } from '../../sip/sip-message.ts';
import { viaParam } from '../../sip/via.ts';
import { unbracket } from '../../transport/endpoint.ts';
import { readTopVia } from '../../transport/top-via.ts';

/**
 * The address a request came from as its top Via tells it: `received`, which the server adds
 * when the source differs from the sent-by host (RFC 3261 18.2.1), else the sent-by host. For
 * what drachtio-srf hands over without its transport facts. Null when the Via cannot be read.
 */
export function viaSourceAddress(req: SipRequest): string | null {
  try {
    const { via } = readTopVia(req);
    const received = viaParam(via, 'received');
    return unbracket(typeof received === 'string' && received.length > 0 ? received : via.host);
  } catch {
    return null;
  }
}
