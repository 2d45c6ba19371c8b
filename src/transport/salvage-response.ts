/**
 * An error response for a request the parser refused (RFC 3261 21.4.1 400, 21.5.6 505,
 * 21.5.14 513), built from whatever Via, From, To, Call-ID and CSeq lines can be read from the
 * raw text. A response needs those headers to be routed and matched (RFC 3261 8.2.6.2, 18.2.2),
 * so without a usable top Via, a Call-ID and a CSeq line there is no response: the caller drops
 * the message. A top Via whose sent-protocol and sent-by are fine but whose parameters are not
 * (RFC 4475 3.1.2.1 "badinv01": `Via: SIP/2.0/UDP 192.0.2.15;;,;,,`, which "should" get a 400)
 * is usable: it is echoed repaired (see repairTopVia).
 */
import { randomBytes } from 'node:crypto';
import { canonicalHeaderName } from '../sip/sip-header-names.ts';
import type { SipHeader, SipResponse } from '../sip/sip-message.ts';
import { parseCSeq } from '../sip/cseq.ts';
import { splitHeaderValues } from '../sip/header-values.ts';
import { formatVia, parseVia, parseViaLoosely, viaParam } from '../sip/via.ts';

/** Only the header section is searched, and at most this much of it. */
const MAX_SCAN = 65_536;
/** Longest reason phrase sent back (the parser's reasons quote up to 40 characters of input). */
const MAX_REASON = 120;

const ECHOED = new Set(['Via', 'From', 'To', 'Call-ID', 'CSeq']);

/** Reason-Phrase characters (RFC 3261 25.1: reserved / unreserved / SP / HTAB / UTF-8 non-ASCII; escapes not used). */
const REASON_CHARS = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*\'();/?:@&=+$, ') {
  REASON_CHARS[c.charCodeAt(0)] = 1;
}

/** A reason phrase from free text: characters the grammar does not allow become "'", length capped. */
export function reasonPhrase(text: string): string {
  let out = '';
  const n = Math.min(text.length, MAX_REASON);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    out += c < 128 && REASON_CHARS[c] === 1 ? text[i] : "'";
  }
  return out.trim() === '' ? 'Bad Request' : out;
}

/** True when a value holds a control character (would be refused by the serializer or corrupt the response). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      return true;
    }
  }
  return false;
}

/**
 * True for an ACK's CSeq. A CSeq that does not parse ("one INVITE") is still echoed: the client
 * matches the answer by Via branch and Call-ID, and the 400 tells it what is wrong.
 */
function isAckCSeq(value: string): boolean {
  try {
    return parseCSeq(value).method === 'ACK';
  } catch {
    return false;
  }
}

/**
 * The top Via line of a request whose first Via value does not parse strictly, as echoed in the
 * error response: the first value read loosely (parseViaLoosely) and written back with only its
 * `branch` and `rport` (what the client matches the answer by, and what routes it back to the
 * real source port, RFC 3581 4; `received` is added by the transport). Other parameters are
 * dropped, `maddr` above all: a message too broken to process must not choose where its answer
 * goes. Further values on the line are kept when they parse, else dropped. Null when the first
 * value has no readable sent-protocol and sent-by.
 */
function repairTopVia(values: readonly string[]): string | null {
  let top;
  try {
    top = parseViaLoosely(values[0] ?? '');
  } catch {
    return null;
  }
  const params: Array<[string, string | null]> = [];
  for (const name of ['branch', 'rport']) {
    const value = viaParam(top, name);
    if (value !== undefined) {
      params.push([name, value]);
    }
  }
  const out = [formatVia({ ...top, params })];
  for (const v of values.slice(1)) {
    try {
      parseVia(v);
      out.push(v);
    } catch {
      // junk after the top value (`,;,,`): not a Via, not echoed
    }
  }
  return out.join(', ');
}

/** True when the value carries a `tag` header parameter (outside the <URI>). */
function hasTag(to: string): boolean {
  const gt = to.lastIndexOf('>');
  return /;\s*tag\s*=/i.test(gt < 0 ? to : to.slice(gt + 1));
}

/**
 * Builds `status reason` for the request whose raw text is `raw`, or returns null when the text
 * is a response, an ACK (never answered, RFC 3261 17.2.1), or lacks a parseable top Via, a
 * Call-ID or a CSeq line. Values are echoed as written (a malformed CSeq included) unless they
 * hold control characters. A To without a tag gets one (8.2.6.2). Folded lines are unfolded.
 */
export function salvageResponse(raw: string, status: number, reason: string): SipResponse | null {
  const n = Math.min(raw.length, MAX_SCAN);
  let pos = 0;
  // Skip the empty lines allowed before the start line (RFC 3261 7.5).
  while (pos < n && (raw.charCodeAt(pos) === 0x0d || raw.charCodeAt(pos) === 0x0a)) {
    pos++;
  }
  let eol = raw.indexOf('\n', pos);
  if (eol < 0 || eol > n) {
    return null;
  }
  const startLine = raw.slice(pos, eol).trim();
  if (startLine.slice(0, 4).toUpperCase() === 'SIP/' || startLine.slice(0, 4) === 'ACK ') {
    return null; // responses are dropped (RFC 3261 18.1.2); an ACK is never answered
  }
  const lines: Array<{ name: string; value: string }> = [];
  pos = eol + 1;
  while (pos < n) {
    eol = raw.indexOf('\n', pos);
    if (eol < 0 || eol > n) {
      eol = n;
    }
    const line = raw.slice(pos, eol).replace(/\r$/, '');
    pos = eol + 1;
    if (line === '') {
      break;
    }
    const c0 = line.charCodeAt(0);
    const last = lines[lines.length - 1];
    if (c0 === 0x20 || c0 === 0x09) {
      if (last !== undefined) {
        last.value = `${last.value} ${line.trim()}`;
      }
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      continue;
    }
    lines.push({ name: canonicalHeaderName(line.slice(0, colon).trim()), value: line.slice(colon + 1).trim() });
  }
  const headers: SipHeader[] = [];
  const seen = new Set<string>();
  let topVia = false;
  for (const { name, value } of lines) {
    if (name === 'Via' && !topVia) {
      // The top Via routes the response (18.2.2): unusable means no response at all.
      if (hasControl(value)) {
        return null;
      }
      const values = splitHeaderValues(value);
      let echoed: string | null = value;
      try {
        parseVia(values[0] ?? '');
      } catch {
        echoed = repairTopVia(values);
      }
      if (echoed === null) {
        return null;
      }
      topVia = true;
      headers.push({ name, value: echoed });
      continue;
    }
    if (!ECHOED.has(name) || value === '' || hasControl(value)) {
      continue;
    }
    if (name === 'Via') {
      headers.push({ name, value });
      continue;
    }
    if (seen.has(name)) {
      continue; // single-valued headers: keep the first
    }
    if (name === 'CSeq' && isAckCSeq(value)) {
      return null;
    }
    seen.add(name);
    headers.push({ name, value: name === 'To' && !hasTag(value) ? `${value};tag=${randomBytes(6).toString('hex')}` : value });
  }
  if (!topVia || !seen.has('Call-ID') || !seen.has('CSeq')) {
    return null;
  }
  return { kind: 'response', status, reason: reasonPhrase(reason), headers, body: '' };
}
