/**
 * The only error the SIP message layer throws on bad input. `status` is the SIP response a
 * server sends back for the refused request, so the transport can answer without mapping error
 * types: 400 Bad Request for anything unparseable (RFC 3261 21.4.1), 505 Version Not Supported
 * for a well-formed Request-Line naming another SIP version (RFC 3261 8.2, 21.5.6), 413 and 513
 * for a message over the limits (message-limits.ts).
 */
export type SipParseStatus = 400 | 413 | 505 | 513;

export class SipParseError extends Error {
  readonly status: SipParseStatus;
  override readonly name = 'SipParseError';

  constructor(reason: string, status: SipParseStatus = 400) {
    super(reason);
    this.status = status;
  }
}

/** Longest piece of untrusted input quoted in an error message. */
const MAX_EXCERPT = 40;

/**
 * A short, printable quotation of untrusted input for error reasons: truncated so a 1 MB
 * header does not become a 1 MB log line, JSON-escaped so control bytes cannot forge log lines.
 */
export function excerpt(s: string): string {
  return JSON.stringify(s.length > MAX_EXCERPT ? `${s.slice(0, MAX_EXCERPT)}...` : s);
}
