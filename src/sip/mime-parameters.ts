/**
 * Media type and parameter syntax: RFC 2045 §5.1, RFC 3261 §20.15 / §25.1 (m-type, m-parameter),
 * as the body reader needs it for Content-Type and Content-Disposition, the outer one and each
 * part's. Kept apart from the multipart walk because it is a grammar of its own (tokens,
 * quoted-strings, SWS) and the place where a lenient receiver and the guard could first disagree:
 * a duplicate parameter or an escaped boundary is refused here, before any part is looked at.
 * Input is a byte string (char codes 0–255); refusals throw InvalidBody through `fail`.
 */
import { fail } from './invalid-body.ts';

/** RFC 2045 §5.1 token: US-ASCII CHAR except SPACE, CTLs and tspecials. */
const TOKEN_CHAR = ((): Uint8Array => {
  const table = new Uint8Array(256);
  for (let c = 0x21; c < 0x7f; c++) {
    table[c] = '()<>@,;:\\"/[]?='.includes(String.fromCharCode(c)) ? 0 : 1;
  }
  return table;
})();

/** RFC 2046 §5.1.1 bcharsnospace: DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?". */
const BCHAR_NOSPACE = ((): Uint8Array => {
  const table = new Uint8Array(256);
  for (const ch of "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?") {
    table[ch.charCodeAt(0)] = 1;
  }
  return table;
})();

export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function skipWsp(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) {
    i++;
  }
  return i;
}

function readToken(s: string, i: number, what: string): [string, number] {
  let j = i;
  while (j < s.length && TOKEN_CHAR[s.charCodeAt(j)] === 1) {
    j++;
  }
  if (j === i) {
    fail(`${what}: token expected at offset ${i}`);
  }
  return [s.slice(i, j), j];
}

export interface Param {
  readonly value: string;
  /** True when the quoted-string used a quoted-pair; boundaries refuse it (see boundaryOf). */
  readonly escaped: boolean;
}

export interface ParsedValue {
  /** Lower-cased type/subtype (media type) or disposition type. */
  readonly value: string;
  /** Parameters by lower-cased name. */
  readonly params: ReadonlyMap<string, Param>;
}

/**
 * Parses `token "/" token *(";" param)` (withSubtype) or `token *(";" param)`, allowing the SWS
 * RFC 3261 §25.1 puts around SLASH, SEMI and EQUAL. Duplicate parameter names are refused: which
 * one a receiver honours (first, last) is implementation-defined, and a second `boundary` would
 * make the guard and the receiver split the body differently.
 */
export function parseParameterised(s: string, withSubtype: boolean, what: string): ParsedValue {
  let i = skipWsp(s, 0);
  let value: string;
  [value, i] = readToken(s, i, what);
  value = value.toLowerCase();
  if (withSubtype) {
    i = skipWsp(s, i);
    if (s.charCodeAt(i) !== 0x2f) {
      fail(`${what}: '/' expected after the media type (RFC 2045 5.1)`);
    }
    let subtype: string;
    [subtype, i] = readToken(s, skipWsp(s, i + 1), what);
    value = `${value}/${subtype.toLowerCase()}`;
  }
  const params = new Map<string, Param>();
  for (;;) {
    i = skipWsp(s, i);
    if (i === s.length) {
      break;
    }
    if (s.charCodeAt(i) !== 0x3b) {
      fail(`${what}: ';' expected at offset ${i}`);
    }
    let name: string;
    [name, i] = readToken(s, skipWsp(s, i + 1), what);
    name = name.toLowerCase();
    i = skipWsp(s, i);
    if (s.charCodeAt(i) !== 0x3d) {
      fail(`${what}: '=' expected after parameter ${name}`);
    }
    i = skipWsp(s, i + 1);
    let param: Param;
    if (s.charCodeAt(i) === 0x22) {
      [param, i] = readQuotedString(s, i, what);
    } else {
      let token: string;
      [token, i] = readToken(s, i, what);
      param = { value: token, escaped: false };
    }
    if (params.has(name)) {
      fail(`${what}: duplicate parameter ${name}`);
    }
    params.set(name, param);
  }
  return { value, params };
}

/**
 * RFC 3261 §25.1 quoted-string (qdtext / quoted-pair); `s[i]` is the opening DQUOTE. Unescaped
 * runs are copied as slices, so a 64 KiB quoted value costs one pass, not 64 Ki concatenations.
 */
function readQuotedString(s: string, i: number, what: string): [Param, number] {
  const pieces: string[] = [];
  let escaped = false;
  let run = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) {
      pieces.push(s.slice(run, j));
      return [{ value: pieces.join(''), escaped }, j + 1];
    }
    if (c === 0x5c) {
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
      const next = s.charCodeAt(j + 1);
      if (Number.isNaN(next) || next === 0x0a || next === 0x0d || next > 0x7f) {
        fail(`${what}: bad quoted-pair`);
      }
      pieces.push(s.slice(run, j));
      escaped = true;
      j++;
      run = j;
      continue;
    }
    // qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII (bytes >= 0x80 here)
    if (c !== 0x09 && (c < 0x20 || c === 0x7f)) {
      fail(`${what}: control character in quoted-string`);
    }
  }
  return fail(`${what}: unterminated quoted-string`);
}

/**
 * The boundary parameter, checked against RFC 2046 §5.1.1 (1–70 bchars, not ending with space).
 * A quoted-pair is refused although RFC 2045 allows it: a receiver that does not unescape would
 * look for a different delimiter than the guard and see parts the guard never policed.
 */
export function boundaryOf(media: ParsedValue): string {
  const param = media.params.get('boundary');
  if (param === undefined) {
    return fail(`${media.value} without boundary parameter (RFC 2046 5.1.1)`);
  }
  const b = param.value;
  if (param.escaped) {
    fail('boundary with quoted-pair refused (receivers disagree on unescaping)');
  }
  if (b.length < 1 || b.length > 70) {
    fail(`boundary must be 1 to 70 characters, got ${b.length} (RFC 2046 5.1.1)`);
  }
  for (let k = 0; k < b.length; k++) {
    const c = b.charCodeAt(k);
    if (BCHAR_NOSPACE[c] !== 1 && !(c === 0x20 && k < b.length - 1)) {
      fail('boundary contains a character outside bchars (RFC 2046 5.1.1)');
    }
  }
  return b;
}
