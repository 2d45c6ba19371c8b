/**
 * Where a response goes (RFC 3261 18.2.2 "Sending Responses", RFC 3581 4 "rport"), read from
 * the response's top Via, which the server copied from the request after the transport
 * annotated it (received/rport).
 */
import type { SipResponse } from '../sip/sip-message.ts';
import { viaParam } from '../sip/via.ts';
import type { Endpoint } from './endpoint.ts';
import { unbracket } from './endpoint.ts';
import { readTopVia } from './top-via.ts';

/** RFC 3261 19.1.2 / 18.2.2: default port of sip: over UDP and TCP, and 5061 for TLS. */
const DEFAULT_PORT = 5060;
const DEFAULT_TLS_PORT = 5061;

/** A port parameter value: 1*5DIGIT up to 65535, else null (a bare or bogus rport is ignored). */
function portValue(v: string | null | undefined): number | null {
  if (v === null || v === undefined || v.length === 0 || v.length > 5) {
    return null;
  }
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) {
      return null;
    }
    n = n * 10 + c;
  }
  return n >= 1 && n <= 65535 ? n : null;
}

/**
 * The address a response is sent to.
 *
 * - Reliable transport (TCP, TLS): the response goes back on the request's connection; this is
 *   the address for opening a new connection when that one is gone: `received` (else the sent-by
 *   host) and the sent-by port (default 5060, 5061 for TLS). `rport` is not used here: it names
 *   the client's ephemeral source port, which does not accept connections. Over TLS the new
 *   connection's certificate must name the sent-by host (RFC 3261 18.2.2, RFC 5922 7.2).
 * - Unreliable (UDP), in 18.2.2 order but for `maddr`:
 *   1. `received`: that address, port from `rport` when it has a value (RFC 3581 4), else the
 *      sent-by port or 5060;
 *   2. otherwise the sent-by host (resolved by the socket layer; RFC 3263 SRV lookups are not
 *      done) and the `rport` value, sent-by port or 5060.
 *   `maddr` is not honoured, against 18.2.2: it would let any peer that knows the guard's
 *   address have it send 100s, finals and 2xx retransmissions to a third party (a reflector).
 *   A multicast SIP deployment is no place for this element.
 *
 * Throws SipParseError when the response has no parseable Via.
 */
export function responseDestination(res: SipResponse, connectionTransport: 'udp' | 'tcp' | 'tls'): Endpoint {
  const { via } = readTopVia(res);
  const sentByPort = via.port ?? DEFAULT_PORT;
  const received = viaParam(via, 'received');
  const hasReceived = typeof received === 'string' && received.length > 0;
  if (connectionTransport === 'tls') {
    const address = hasReceived ? unbracket(received) : unbracket(via.host);
    return { address, port: via.port ?? DEFAULT_TLS_PORT, transport: 'tls', serverName: unbracket(via.host) };
  }
  if (connectionTransport === 'tcp') {
    return { address: hasReceived ? unbracket(received) : unbracket(via.host), port: sentByPort, transport: 'tcp' };
  }
  const rport = portValue(viaParam(via, 'rport'));
  if (hasReceived) {
    return { address: unbracket(received), port: rport ?? sentByPort, transport: 'udp' };
  }
  return { address: unbracket(via.host), port: rport ?? sentByPort, transport: 'udp' };
}
