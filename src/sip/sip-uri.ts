/**
 * SIP, SIPS (RFC 3261 19.1) and tel (RFC 3966) URIs: the only schemes the guard interprets.
 * Anything else (urn:, http:, ...) and anything malformed gives null; this module never throws.
 */
import { formatParams } from './header-values.ts';
import { isHexDigit, isHost } from './sip-grammar.ts';
import { memoized } from '../text/parse-memo.ts';
import { SipParseError } from './sip-parse-error.ts';

export interface SipUri {
  readonly scheme: 'sip' | 'sips' | 'tel';
  /** User part (escapes kept as written); for tel, the number. null when there is no userinfo. */
  readonly user: string | null;
  readonly password: string | null;
  /** Host as written; IPv6 keeps its brackets. '' for tel. */
  readonly host: string;
  readonly port: number | null;
  /** uri-parameters, names and values as written. */
  readonly params: ReadonlyArray<readonly [string, string | null]>;
  /** Text after '?' (RFC 3261 19.1.1 headers component), without the '?'; null when absent. */
  readonly headers: string | null;
}

// Character classes of RFC 3261 25.1 (and RFC 3966 3 for tel numbers), as bits in one table.
const USER = 1;
const PASSWORD = 2;
const PARAM = 4;
const HEADER = 8;
const TEL_NUMBER = 16;
const CLASSES = new Uint8Array(128);
function addClass(chars: string, bits: number): void {
  for (const c of chars) {
    const code = c.charCodeAt(0);
    CLASSES[code] = (CLASSES[code] ?? 0) | bits;
  }
}
// unreserved = alphanum / mark, mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
addClass('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*\'()', USER | PASSWORD | PARAM | HEADER);
// user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/". '#' is not in RFC 3261 (it
// must be escaped) but dial strings such as "*31#" arrive unescaped from real UEs.
addClass('&=+$,;?/#', USER);
// password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
addClass('&=+$,', PASSWORD);
// param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$" (RFC 3966 3 has the same set)
addClass('[]/:&+$', PARAM);
// hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$", plus the "=" and "&" that structure headers
addClass('[]/?:+$=&', HEADER);
// phonedigit-hex = HEXDIG / "*" / "#" / visual-separator ("-" / "." / "(" / ")"), and "+" of a global number
addClass('0123456789abcdefABCDEF*#-.()+', TEL_NUMBER);

/** True when text[start, end) is non-empty and uses only `bits` characters or %HH escapes (escapes not in tel numbers). */
function charsIn(text: string, start: number, end: number, bits: number): boolean {
  if (start >= end) {
    return false;
  }
  const escapes = bits !== TEL_NUMBER;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 /* % */ && escapes) {
      // escaped = "%" HEXDIG HEXDIG
      if (i + 2 >= end) {
        return false;
      }
      if (!isHexDigit(text.charCodeAt(i + 1)) || !isHexDigit(text.charCodeAt(i + 2))) {
        return false;
      }
      i += 2;
    } else if (c >= 128 || ((CLASSES[c] ?? 0) & bits) === 0) {
      return false;
    }
  }
  return true;
}

/** Parses `;a=b;c` (uri-parameters) from text[start, end), which begins with ';'. null when malformed. */
function parseUriParams(text: string, start: number, end: number): Array<[string, string | null]> | null {
  const params: Array<[string, string | null]> = [];
  let p = start + 1;
  while (p <= end) {
    // One scan per parameter for both ';' and '=' (an indexOf('=') over the rest of the text
    // for every parameter would be quadratic on "sip:h;a;a;a;...").
    let semi = p;
    let eq = -1;
    while (semi < end) {
      const c = text.charCodeAt(semi);
      if (c === 0x3b /* ; */) {
        break;
      }
      if (c === 0x3d /* = */ && eq < 0) {
        eq = semi;
      }
      semi++;
    }
    if (eq >= 0) {
      // pname and pvalue are both 1*paramchar (RFC 3261 25.1 other-param)
      if (!charsIn(text, p, eq, PARAM) || !charsIn(text, eq + 1, semi, PARAM)) {
        return null;
      }
      params.push([text.slice(p, eq), text.slice(eq + 1, semi)]);
    } else {
      if (!charsIn(text, p, semi, PARAM)) {
        return null;
      }
      params.push([text.slice(p, semi), null]);
    }
    p = semi + 1;
  }
  return params;
}

/** Longest port: 5 digits, at most 65535. */
function parsePort(text: string, start: number, end: number): number | null {
  if (start >= end || end - start > 5) {
    return null;
  }
  let port = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) {
      return null;
    }
    port = port * 10 + (c - 0x30);
  }
  return port <= 65535 ? port : null;
}

/** tel URI, RFC 3966 3: "tel:" number *( ";" par ). */
function parseTel(text: string, start: number): SipUri | null {
  const n = text.length;
  let numberEnd = text.indexOf(';', start);
  if (numberEnd < 0) {
    numberEnd = n;
  }
  if (!charsIn(text, start, numberEnd, TEL_NUMBER)) {
    return null;
  }
  const params = numberEnd < n ? parseUriParams(text, numberEnd, n) : [];
  if (params === null) {
    return null;
  }
  return { scheme: 'tel', user: text.slice(start, numberEnd), password: null, host: '', port: null, params, headers: null };
}

/**
 * Parses a sip:, sips: or tel: URI. The scheme is case-insensitive (RFC 3261 19.1.4) and is
 * returned lower-case; every other component is kept as written, so `formatUri` gives the
 * input back. Returns null for other schemes or malformed input; never throws.
 */
function readUri(text: string): SipUri | null {
  if (typeof text !== 'string') {
    return null;
  }
  const colon = text.indexOf(':');
  if (colon !== 3 && colon !== 4) {
    return null;
  }
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'tel') {
    return parseTel(text, colon + 1);
  }
  if (scheme !== 'sip' && scheme !== 'sips') {
    return null;
  }
  const n = text.length;
  let p = colon + 1;

  // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@" (RFC 3261 19.1.1). No other
  // component may hold an unescaped '@', so the first one ends the userinfo; the user part may
  // hold ';' and '?' ("sip:+1555;npdi@host" keeps ";npdi" in the user).
  let user: string | null = null;
  let password: string | null = null;
  const at = text.indexOf('@', p);
  if (at >= 0) {
    const pc = text.indexOf(':', p);
    const userEnd = pc >= 0 && pc < at ? pc : at;
    if (!charsIn(text, p, userEnd, USER)) {
      return null;
    }
    user = text.slice(p, userEnd);
    if (userEnd < at) {
      // password may be empty
      if (userEnd + 1 < at && !charsIn(text, userEnd + 1, at, PASSWORD)) {
        return null;
      }
      password = text.slice(userEnd + 1, at);
    }
    p = at + 1;
  }

  // hostport = host [ ":" port ]; an IPv6reference is bracketed and holds ':' itself.
  let hostEnd: number;
  if (text.charCodeAt(p) === 0x5b /* [ */) {
    const close = text.indexOf(']', p);
    if (close < 0) {
      return null;
    }
    hostEnd = close + 1;
  } else {
    hostEnd = p;
    while (hostEnd < n) {
      const c = text.charCodeAt(hostEnd);
      if (c === 0x3a /* : */ || c === 0x3b /* ; */ || c === 0x3f /* ? */) {
        break;
      }
      hostEnd++;
    }
  }
  const host = text.slice(p, hostEnd);
  if (!isHost(host)) {
    return null;
  }
  p = hostEnd;
  let port: number | null = null;
  if (text.charCodeAt(p) === 0x3a /* : */) {
    let portEnd = p + 1;
    while (portEnd < n && text.charCodeAt(portEnd) !== 0x3b && text.charCodeAt(portEnd) !== 0x3f) {
      portEnd++;
    }
    port = parsePort(text, p + 1, portEnd);
    if (port === null) {
      return null;
    }
    p = portEnd;
  }

  // uri-parameters, then [ "?" headers ]
  const q = text.indexOf('?', p);
  const paramsEnd = q < 0 ? n : q;
  let params: Array<[string, string | null]> = [];
  if (p < paramsEnd) {
    if (text.charCodeAt(p) !== 0x3b /* ; */) {
      return null;
    }
    const parsed = parseUriParams(text, p, paramsEnd);
    if (parsed === null) {
      return null;
    }
    params = parsed;
  }
  let headers: string | null = null;
  if (q >= 0) {
    if (q + 1 < n && !charsIn(text, q + 1, n, HEADER)) {
      return null;
    }
    headers = text.slice(q + 1);
  }
  return { scheme, user, password, host, port, params, headers };
}

/** Formats a URI; the inverse of `parseUri`. */
export function formatUri(uri: SipUri): string {
  if (uri.scheme === 'tel') {
    return `tel:${uri.user ?? ''}${formatParams(uri.params)}`;
  }
  let out = `${uri.scheme}:`;
  if (uri.user !== null) {
    out += uri.password !== null ? `${uri.user}:${uri.password}@` : `${uri.user}@`;
  }
  out += uri.host;
  if (uri.port !== null) {
    out += `:${uri.port}`;
  }
  out += formatParams(uri.params);
  if (uri.headers !== null) {
    out += `?${uri.headers}`;
  }
  return out;
}

/**
 * The value of a URI parameter, matched case-insensitively (RFC 3261 19.1.4): undefined when
 * absent, null when present without a value (";lr"), else the value as written.
 */
export function uriParam(uri: SipUri, name: string): string | null | undefined {
  const wanted = name.toLowerCase();
  for (const [n, v] of uri.params) {
    if (n.toLowerCase() === wanted) {
      return v;
    }
  }
  return undefined;
}

/** Memoized (src/text/parse-memo.ts): the same value is read once. */
export const parseUri: (text: string) => SipUri | null = memoized(readUri, { remembers: SipParseError });
