/**
 * Character-level predicates of the RFC 3261 grammar (section 25.1) shared by the parsers.
 * Table lookups instead of regular expressions: they run on every header of every message,
 * and a table cannot backtrack on hostile input.
 */

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") (RFC 3261 25.1). */
const TOKEN = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~') {
  TOKEN[c.charCodeAt(0)] = 1;
}

/** True when `s` is a non-empty RFC 3261 token (header names, methods, parameter names). */
export function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) {
    return false;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] !== 1) {
      return false;
    }
  }
  return true;
}

/** hostname characters; "_" is not in RFC 3261 25.1 but container and lab host names use it. */
const HOSTNAME = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._') {
  HOSTNAME[c.charCodeAt(0)] = 1;
}

/** Longest IPv6reference: "[" + 45 characters of IPv4-mapped address + "]". */
const MAX_IPV6_REFERENCE = 47;

/**
 * True when `s` is a host (RFC 3261 25.1: hostname / IPv4address / IPv6reference).
 * IPv6 must be bracketed; only its character set is checked, not the group structure,
 * since the host is passed on and never used to compute anything.
 */
export function isHost(s: string): boolean {
  const n = s.length;
  if (n === 0) {
    return false;
  }
  if (s.charCodeAt(0) === 0x5b /* [ */) {
    if (n < 4 || n > MAX_IPV6_REFERENCE || s.charCodeAt(n - 1) !== 0x5d /* ] */) {
      return false;
    }
    let colons = 0;
    for (let i = 1; i < n - 1; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x3a) {
        colons++;
      } else if (!(isHexDigit(c) || c === 0x2e /* . */)) {
        return false;
      }
    }
    return colons >= 2;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || HOSTNAME[c] !== 1) {
      return false;
    }
  }
  return true;
}

/** True for 0-9, A-F, a-f. */
export function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * True when `s` has the shape of an absoluteURI as it may appear in a Request-URI or inside
 * `<...>` (RFC 3261 25.1 / RFC 3986 3.1): scheme ":" followed by at least one visible ASCII
 * character, with no whitespace, control characters, '<', '>' or '"' (which would end or
 * corrupt the enclosing header). Used for schemes other than sip/sips/tel (e.g. urn:service:sos
 * in emergency calls), which are carried but not interpreted.
 */
export function isUriShape(s: string): boolean {
  const n = s.length;
  const colon = s.indexOf(':');
  if (colon < 1 || colon === n - 1) {
    return false;
  }
  const first = s.charCodeAt(0) | 0x20;
  if (first < 0x61 || first > 0x7a) {
    return false;
  }
  for (let i = 1; i < colon; i++) {
    const c = s.charCodeAt(i);
    const lower = c | 0x20;
    if (!((lower >= 0x61 && lower <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) {
      return false;
    }
  }
  for (let i = colon + 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3c || c === 0x3e || c === 0x22) {
      return false;
    }
  }
  return true;
}
