/** The CSeq header (RFC 3261 20.16: CSeq = 1*DIGIT LWS Method). */
import { isToken } from './sip-grammar.ts';
import { SipParseError, excerpt } from './sip-parse-error.ts';
import { memoized } from '../text/parse-memo.ts';
import { getHeader } from './sip-headers.ts';
import type { SipMessage } from './sip-message.ts';

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** The sequence number must be less than 2**31 (RFC 3261 8.1.1.5). */
const MAX_SEQ = 2 ** 31;

/** Parses `4711 INVITE`. Throws SipParseError when malformed or out of range. */
function readCSeq(value: string): CSeq {
  const s = value.trim();
  const n = s.length;
  let p = 0;
  let seq = 0;
  // Ten digits are enough for any value below 2**31 (leading zeros aside); stopping there keeps
  // the number exact and the loop short on hostile input.
  while (p < n && p < 11) {
    const c = s.charCodeAt(p);
    if (c < 0x30 || c > 0x39) {
      break;
    }
    seq = seq * 10 + (c - 0x30);
    p++;
  }
  if (p === 0) {
    throw new SipParseError(`no sequence number in ${excerpt(s)}`);
  }
  if (seq >= MAX_SEQ || p > 10) {
    throw new SipParseError(`sequence number not below 2**31 in ${excerpt(s)}`);
  }
  const digitsEnd = p;
  while (p < n && (s.charCodeAt(p) === 0x20 || s.charCodeAt(p) === 0x09)) {
    p++;
  }
  const method = s.slice(p);
  if (p === digitsEnd || !isToken(method)) {
    throw new SipParseError(`bad method in ${excerpt(s)}`);
  }
  return { seq, method };
}

/** Formats `4711 INVITE`. */
export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}

/** Memoized (src/text/parse-memo.ts): the same value is read once. */
export const parseCSeq: (value: string) => CSeq = memoized(readCSeq, { remembers: SipParseError });

/**
 * The method a message's CSeq names, or '' when it has none that reads: for logs and metrics,
 * which must not throw on what they describe (a parsed message's CSeq was read already: memoized).
 */
export function cseqMethodOf(msg: SipMessage): string {
  const value = getHeader(msg, 'CSeq');
  if (value === undefined) {
    return '';
  }
  try {
    return parseCSeq(value).method;
  } catch {
    return '';
  }
}
