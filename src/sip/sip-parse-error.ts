/**
 * The only error the SIP message layer throws on bad input. `status` is the SIP response a
 * server sends back for an unparseable request (RFC 3261 21.4.1: 400 Bad Request), so the
 * transaction layer can answer without mapping error types.
 */
export class SipParseError extends Error {
  readonly status = 400;
  override readonly name = 'SipParseError';

  constructor(reason: string) {
    super(reason);
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
