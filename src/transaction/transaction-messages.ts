/**
 * Messages and identifiers the transaction layer builds or reads itself: the 100 Trying
 * (RFC 3261 8.2.6.1, 17.2.1), the ACK for a non-2xx final response (17.1.1.3), tags, and the
 * identity of a provisional response for absorbing retransmissions.
 */
import { parseCSeq } from '../sip/cseq.ts';
import { canonicalHeaderName } from '../sip/sip-header-names.ts';
import { getHeader } from '../sip/sip-headers.ts';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from '../sip/sip-message.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { ownString } from '../text/own-string.ts';
import { formatVia } from '../sip/via.ts';
import { readTopVia } from '../transport/top-via.ts';

/** A header value; parsed messages store canonical names, so the exact compare almost always hits. */
export function headerValue(msg: SipMessage, name: string): string | undefined {
  for (const h of msg.headers) {
    if (h.name === name) {
      return h.value;
    }
  }
  return getHeader(msg, name);
}

/**
 * A copy the TU can no longer change under the transaction, which owns its strings: a parsed
 * message's values are slices of the whole datagram text, and a transaction kept for Timer H or
 * J (32 s) would keep that text alive with it (a peer sending 40 KB INVITEs it never ACKs would
 * pin 40 KB each).
 */
export function snapshot<M extends SipMessage>(msg: M): M {
  return { ...msg, headers: msg.headers.map(ownHeader), body: ownString(msg.body) };
}

function ownHeader(h: SipHeader): SipHeader {
  return { name: h.name, value: ownString(h.value) };
}

/**
 * 100 Trying for an INVITE (17.2.1): Via, From, To (no tag: a 100 creates no dialog, 8.2.6.2),
 * Call-ID, CSeq copied, and Timestamp (8.2.6.1).
 */
export function tryingFor(req: SipRequest): SipResponse {
  const headers: SipHeader[] = [];
  for (const h of req.headers) {
    const name = canonicalHeaderName(h.name);
    if (name === 'Via' || name === 'From' || name === 'To' || name === 'Call-ID' || name === 'CSeq' || name === 'Timestamp') {
      headers.push(h.name === name ? h : { name, value: h.value });
    }
  }
  return { kind: 'response', status: 100, reason: 'Trying', headers, body: '' };
}

/**
 * The ACK a client INVITE transaction sends for a 300-699 response (17.1.1.3): same Request-URI,
 * Call-ID, From and CSeq number as the INVITE, To from the response (with its tag), a single Via
 * equal to the INVITE's top Via (same branch, so it matches the server transaction), the
 * INVITE's Route headers, and no body.
 */
export function ackFor(invite: SipRequest, res: SipResponse): SipRequest {
  const headers: SipHeader[] = [{ name: 'Via', value: formatVia(readTopVia(invite).via) }];
  let maxForwards = '70';
  const routes: SipHeader[] = [];
  let from: SipHeader | undefined;
  let callId: SipHeader | undefined;
  let cseq = '';
  for (const h of invite.headers) {
    switch (canonicalHeaderName(h.name)) {
      case 'Max-Forwards':
        maxForwards = h.value;
        break;
      case 'Route':
        routes.push({ name: 'Route', value: h.value });
        break;
      case 'From':
        from ??= { name: 'From', value: h.value };
        break;
      case 'Call-ID':
        callId ??= { name: 'Call-ID', value: h.value };
        break;
      case 'CSeq':
        cseq ||= h.value;
        break;
      default:
        break;
    }
  }
  headers.push({ name: 'Max-Forwards', value: maxForwards }, ...routes);
  if (from !== undefined) {
    headers.push(from);
  }
  headers.push({ name: 'To', value: headerValue(res, 'To') ?? '' });
  if (callId !== undefined) {
    headers.push(callId);
  }
  // The INVITE was checked when its transaction started, so its CSeq parses.
  headers.push({ name: 'CSeq', value: `${parseCSeq(cseq).seq} ACK` });
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: '' };
}

/**
 * What makes a provisional response "the same" for absorbing retransmissions: status, To tag
 * (forked early dialogs differ), RSeq (each reliable provisional is new, RFC 3262) and body (a
 * second 183 with new SDP is news to the TU).
 */
export function provisionalIdentity(res: SipResponse): string {
  return `${res.status}\u0000${tagOf(headerValue(res, 'To')) ?? ''}\u0000${headerValue(res, 'RSeq') ?? ''}\u0000${res.body}`;
}

/**
 * What a server transaction keeps of its request once the final response is out: the lines
 * that name its transaction and dialog. The full request (often 2 KB with SDP) would otherwise
 * live on for Timer J or L (32 s on UDP), and at 1,000 calls/s that is what fills the heap.
 */
export function compactRequest(req: SipRequest): SipRequest {
  const headers: SipHeader[] = [];
  for (const h of req.headers) {
    if (h.name === 'Via' || h.name === 'From' || h.name === 'To' || h.name === 'Call-ID' || h.name === 'CSeq') {
      headers.push(ownHeader(h));
    }
  }
  return { kind: 'request', method: req.method, uri: ownString(req.uri), headers, body: '' };
}
