/**
 * Lexical helpers for header values: comma-separated lists (RFC 3261 7.3.1) and
 * `;name=value` parameter lists (RFC 3261 25.1 generic-param). All run in one linear pass
 * and treat an unterminated quote or '<' as running to the end of the input, so hostile
 * values cannot make them loop or throw (except `parseGenericParams`, which is strict and
 * throws SipParseError).
 */
import { SipParseError, excerpt } from './sip-parse-error.ts';
import { isToken } from './sip-grammar.ts';

const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const SEMI = 0x3b;
const LT = 0x3c;
const GT = 0x3e;

/**
 * Splits a header value on the commas that separate list elements (RFC 3261 7.3.1), i.e.
 * commas outside quoted-strings (where `\` escapes the next character, RFC 3261 25.1
 * quoted-pair) and outside `<...>` (a URI in name-addr may contain commas, RFC 3261 20.10).
 * Each element is trimmed; empty elements are dropped.
 *
 * Only for headers defined as comma lists (Via, Route, Record-Route, Contact, Allow, ...):
 * Date, Retry-After comments and the *-Authenticate/Authorization challenges contain commas
 * that do not separate values.
 */
export function splitHeaderValues(value: string): string[] {
  const out: string[] = [];
  // Fast path: most header lines carry exactly one value.
  if (value.indexOf(',') < 0) {
    const v = value.trim();
    if (v !== '') {
      out.push(v);
    }
    return out;
  }
  const n = value.length;
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === BACKSLASH) {
        i++;
      } else if (c === DQUOTE) {
        inQuote = false;
      }
    } else if (inAngle) {
      if (c === GT) {
        inAngle = false;
      }
    } else if (c === DQUOTE) {
      inQuote = true;
    } else if (c === LT) {
      inAngle = true;
    } else if (c === COMMA) {
      const v = value.slice(start, i).trim();
      if (v !== '') {
        out.push(v);
      }
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '') {
    out.push(last);
  }
  return out;
}

/** Splits on ';' outside quoted-strings; segments are returned untrimmed, empty ones included. */
function splitSemicolons(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  let start = 0;
  let inQuote = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (inQuote) {
      if (c === BACKSLASH) {
        i++;
      } else if (c === DQUOTE) {
        inQuote = false;
      }
    } else if (c === DQUOTE) {
      inQuote = true;
    } else if (c === SEMI) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** Splits one `name=value` / `name` segment; whitespace around '=' is allowed (RFC 3261 25.1 EQUAL = SWS "=" SWS). */
function splitParam(segment: string): [string, string | null] {
  const eq = segment.indexOf('=');
  if (eq < 0) {
    return [segment.trim(), null];
  }
  return [segment.slice(0, eq).trim(), segment.slice(eq + 1).trim()];
}

/**
 * Parses a parameter list `;a=b;c;d="x;y"` (the leading ';' is optional). Names are kept as
 * written; quoted values keep their quotes (and escapes) so formatting gives back the input.
 * Empty segments (`;;`) are skipped. Never throws.
 */
export function parseParams(s: string): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  if (s === '') {
    return out;
  }
  for (const segment of splitSemicolons(s)) {
    if (segment.trim() !== '') {
      out.push(splitParam(segment));
    }
  }
  return out;
}

/** Formats parameters as `;a=b;c`. */
export function formatParams(params: ReadonlyArray<readonly [string, string | null]>): string {
  let out = '';
  for (const [name, value] of params) {
    out += value === null ? `;${name}` : `;${name}=${value}`;
  }
  return out;
}

/** Characters of an unquoted gen-value: token / host (RFC 3261 25.1), so token chars plus ':' '[' ']' for IP addresses. */
const GEN_VALUE = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~:[]') {
  GEN_VALUE[c.charCodeAt(0)] = 1;
}

/** True for a complete quoted-string: opening and closing quote, no unescaped quote between (RFC 3261 25.1). */
function isQuotedString(s: string): boolean {
  const n = s.length;
  if (n < 2 || s.charCodeAt(0) !== DQUOTE) {
    return false;
  }
  let i = 1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) {
      i += 2;
    } else if (c === DQUOTE) {
      return i === n - 1;
    } else {
      i++;
    }
  }
  return false;
}

function isGenValue(s: string): boolean {
  const n = s.length;
  if (n === 0) {
    return false;
  }
  if (s.charCodeAt(0) === DQUOTE) {
    return isQuotedString(s);
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || GEN_VALUE[c] !== 1) {
      return false;
    }
  }
  return true;
}

/**
 * Strict form of `parseParams` for header parameters (RFC 3261 25.1:
 * *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ]). `s` is what follows the
 * URI or sent-by: empty/whitespace, or ';' then parameters. Throws SipParseError on an empty
 * parameter, a name that is not a token, or a value that is neither token, host nor a
 * complete quoted-string.
 */
export function parseGenericParams(s: string): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  const trimmed = s.trim();
  if (trimmed === '') {
    return out;
  }
  if (trimmed.charCodeAt(0) !== SEMI) {
    throw new SipParseError(`expected ';' before parameters, got ${excerpt(trimmed)}`);
  }
  const segments = splitSemicolons(trimmed);
  // segments[0] is the empty text before the leading ';'.
  for (let k = 1; k < segments.length; k++) {
    const [name, value] = splitParam(segments[k] ?? '');
    if (!isToken(name)) {
      throw new SipParseError(`bad parameter name ${excerpt(name)}`);
    }
    if (value !== null && !isGenValue(value)) {
      throw new SipParseError(`bad value for parameter ${name}: ${excerpt(value)}`);
    }
    out.push([name, value]);
  }
  return out;
}
