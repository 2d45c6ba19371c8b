/**
 * Require / Proxy-Require checking (RFC 3261 8.2.2.3, 20.29, 20.32): which option tags a
 * request insists on that the guard does not support, for the 420 (Bad Extension) answer and
 * its Unsupported header (20.40).
 */
import { splitHeaderValues } from './header-values.ts';
import type { SipRequest } from './sip-message.ts';

/**
 * The option tags (RFC 3261 19.2, IANA "SIP option tags") the guard can honestly accept in a
 * Require or Proxy-Require. The guard is a routing B2BUA: it copies end-to-end headers (Require
 * and Supported among them) from one leg to the other, relays PRACK and UPDATE, and rewrites only
 * the leg identifiers (Via, Route, Contact, From/To tags, Call-ID, CSeq; RAck is mapped to the
 * leg's CSeq). A tag belongs here only when the extension keeps working through that.
 *
 * - `100rel` (RFC 3262): reliable provisionals are relayed one to one with their RSeq, and the
 *   PRACK's RAck is mapped to the other leg's INVITE CSeq, so each end sees a consistent
 *   sequence. (Caveat for the controller: if policy drops a reliable 1xx, the caller sees a gap
 *   in RSeq and stops acknowledging later ones, RFC 3262 4; refusing the INVITE is then better.)
 * - `timer` (RFC 4028): Session-Expires / Min-SE are copied end to end and the refreshes
 *   (re-INVITE, UPDATE) and the BYE at expiry are relayed, so the two ends run the timer; the
 *   guard only holds a floor (`sip.min_se`, 422) and ends a call whose refresh never came
 *   (src/call/session-timer.ts).
 *
 * Not claimed:
 * - `precondition` (RFC 3312/4032): carried in SDP (a=curr/des/conf) that the guard reads and may
 *   rewrite for data channels; whether every rewrite keeps the precondition state machine intact
 *   is not established, so a UAC requiring it is better told 420 and falling back.
 * - `replaces` (RFC 3891): the Replaces header names a dialog by Call-ID and tags, which differ
 *   on each side of a B2BUA; copied unchanged it would name a dialog the far end does not know
 *   (or, worse, one it does). Honouring it needs translation the guard does not do.
 * - `path`, `gruu`, `outbound`, `sec-agree` and other registration or access-side extensions:
 *   the guard does not register or serve as an edge proxy.
 */
export const SUPPORTED_EXTENSIONS: ReadonlySet<string> = new Set(['100rel', 'timer']);

/**
 * The option tags in the request's Require and Proxy-Require headers (every line, every
 * comma-separated value) that are not in `supported`, in order of appearance, each once, as
 * the request wrote it (for the Unsupported header). Option tags are tokens, and tokens compare
 * case-insensitively (RFC 3261 7.3.1), so `supported` is matched ignoring case. A value that is
 * not a token names no extension and is returned too (the parser already refused CR and LF, so
 * echoing it in Unsupported cannot break the response).
 *
 * CANCEL and ACK give none: RFC 3261 8.2.2.3 says Require and Proxy-Require MUST be ignored in
 * a CANCEL and in the ACK for a non-2xx, and no ACK can be answered with a 420 anyway (the ACK
 * for a 2xx carries only what the INVITE carried, which was checked then).
 */
export function unsupportedExtensions(req: SipRequest, supported: ReadonlySet<string>): string[] {
  if (req.method === 'CANCEL' || req.method === 'ACK') {
    return [];
  }
  const known = new Set<string>();
  for (const tag of supported) {
    known.add(tag.toLowerCase());
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const h of req.headers) {
    const name = h.name.toLowerCase();
    if (name !== 'require' && name !== 'proxy-require') {
      continue;
    }
    for (const tag of splitHeaderValues(h.value)) {
      const key = tag.toLowerCase();
      if (!known.has(key) && !seen.has(key)) {
        seen.add(key);
        out.push(tag);
      }
    }
  }
  return out;
}
