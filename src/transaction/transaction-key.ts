/**
 * Transaction matching keys (RFC 3261 17.1.3, 17.2.3), as strings for O(1) Map lookups.
 * Parts are joined with NUL, which no header value can contain (the parser refuses it).
 */
import type { CSeq } from '../sip/cseq.ts';
import type { SipRequest } from '../sip/sip-message.ts';
import type { Via } from '../sip/via.ts';
import { formatVia, viaParam } from '../sip/via.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import { addressKey, endpointKey, hostKey } from '../transport/endpoint.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { headerValue } from './transaction-messages.ts';

/** RFC 3261 8.1.1.7: branches of RFC 3261 clients start with this; others match by the legacy rules. */
export const MAGIC_COOKIE = 'z9hG4bK';

const SEP = '\u0000';

/** The branch of a Via when it is an RFC 3261 branch, else null. */
export function rfc3261Branch(via: Via): string | null {
  const branch = viaParam(via, 'branch');
  return typeof branch === 'string' && branch.startsWith(MAGIC_COOKIE) ? branch : null;
}

/** 17.1.3: a response matches the client transaction with its top Via branch and its CSeq method. */
export function clientKey(branch: string, cseqMethod: string): string {
  return `${branch}${SEP}${cseqMethod}`;
}

/** sent-by port as compared: absent means the transport's default (5061 for TLS, else 5060). */
function sentByPort(via: Via): number {
  return via.port ?? (via.transport.toUpperCase() === 'TLS' ? 5061 : 5060);
}

/**
 * 17.2.3: the server transaction a request belongs to, among requests from the same transport
 * source (`source`: transport, address and port the request arrived from, as endpointKey).
 * - RFC 3261 branch: branch + sent-by + method, where ACK counts as INVITE (it belongs to the
 *   INVITE's transaction) and CANCEL keeps its own method (its own transaction, 9.2).
 * - Otherwise (RFC 2543 clients), the simple form of the legacy rule: Request-URI, From tag,
 *   Call-ID, CSeq number, the whole top Via, and the method (ACK counting as INVITE). The To tag
 *   is left out: the INVITE has none while its ACK carries the response's.
 * `method` overrides the request's (to find the INVITE a CANCEL refers to).
 *
 * Why the source is part of the key: 17.2.3 matches on what the client wrote, and a branch and
 * sent-by are easy to predict (or to copy from a trace). Without the source, a peer that first
 * sends a request carrying another client's branch and sent-by owns that key, and the real
 * client's request is then taken for a retransmission of it and swallowed. With it, each source
 * has its own key space. Retransmissions (UDP) come from the socket that sent the original; on
 * TCP the client retransmits nothing and sends its CANCEL and non-2xx ACK on the INVITE's
 * connection (18.1.1), so the port is kept there too: it is what separates two clients behind one
 * NAT address. The cost: a CANCEL or non-2xx ACK arriving on a new TCP connection (the first one
 * closed) matches nothing: the CANCEL is answered 481 by the TU, the ACK reaches the TU and the
 * INVITE transaction ends on Timer H.
 */
export function serverKey(req: SipRequest, via: Via, cseq: CSeq, source: Endpoint, method = req.method === 'ACK' ? 'INVITE' : req.method): string {
  const from = endpointKey(source);
  const branch = rfc3261Branch(via);
  if (branch !== null) {
    return `${from}${SEP}${branch}${SEP}${hostKey(via.host)}:${sentByPort(via)}${SEP}${method}`;
  }
  const callId = headerValue(req, 'Call-ID') ?? '';
  const fromTag = (tagOf(headerValue(req, 'From')) ?? '');
  // received/rport are this hop's annotations and identical for every copy from one source.
  return `2543${SEP}${from}${SEP}${req.uri}${SEP}${fromTag}${SEP}${callId}${SEP}${cseq.seq}${SEP}${formatVia(via)}${SEP}${method}`;
}

/**
 * 13.2.2.4 / 17.1.1.3: the ACK for a 2xx is a new transaction; it finds the INVITE it
 * acknowledges by dialog (Call-ID, From tag, To tag), CSeq number and the address (not the port,
 * nor the transport) the INVITE came from.
 *
 * RFC 3261 lets that ACK come from anywhere (it is end-to-end and may take another route), but
 * the dialog identifiers are in every copy of the INVITE and its 2xx, so a peer that saw them
 * could otherwise stop the 2xx retransmissions of another peer's call. Here the previous hop of
 * an INVITE is the IMS core or an AS, which sends its ACK itself: the same address is required.
 * The port is not: on TCP the ACK may come on a new connection with a new source port, and a
 * UDP stack may send from another socket of the same host. An ACK from elsewhere still reaches
 * the TU (its decision), it just does not stop the retransmissions, which then end on Timer L.
 */
export function dialogAckKey(callId: string, cseqSeq: number, fromTag: string, toTag: string, sourceAddress: string): string {
  return `${addressKey(sourceAddress)}${SEP}${callId}${SEP}${cseqSeq}${SEP}${fromTag}${SEP}${toTag}`;
}
