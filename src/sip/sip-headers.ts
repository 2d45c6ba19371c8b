/**
 * Header accessors over `SipMessage.headers`. Names are matched case-insensitively and with
 * compact forms expanded (RFC 3261 7.3.1, 7.3.3), so 'v', 'VIA' and 'Via' are one header.
 * Header lines are replaced, never mutated (SipHeader is readonly); the array is edited in place.
 */
import { splitHeaderValues } from './header-values.ts';
import { isToken } from './sip-grammar.ts';
import { canonicalHeaderName, isCanonicalSpelling } from './sip-header-names.ts';
import type { SipHeader, SipMessage } from './sip-message.ts';

/**
 * A matcher for one header name. Stored names are canonical (the parser and the setters below
 * store them so), so a stored name matches when it is the canonical name, or, for a name the
 * guard does not know (kept as written), the same letters in another case, or its compact form. Matchers are kept
 * per name: lookups run for every header of every message.
 */
function matcher(name: string): (stored: string) => boolean {
  let is = MATCHERS.get(name);
  if (is === undefined) {
    const canonical = canonicalHeaderName(name);
    const lower = canonical.toLowerCase();
    const length = canonical.length;
    is = (stored) =>
      stored === canonical ||
      // Another known name's canonical spelling is never this one in another case.
      (stored.length === length && !isCanonicalSpelling(stored) && stored.toLowerCase() === lower) ||
      // A compact form pushed onto the array by hand (RFC 3261 7.3.3).
      (stored.length === 1 && canonicalHeaderName(stored) === canonical);
    if (MATCHERS.size >= MAX_MATCHERS) {
      MATCHERS.clear();
    }
    MATCHERS.set(name, is);
  }
  return is;
}

const MATCHERS = new Map<string, (stored: string) => boolean>();
/** Names come from code and the profile; a bound all the same, in case one comes from a message. */
const MAX_MATCHERS = 512;

/**
 * Refuses names that are not tokens and values with CR, LF or NUL: written out, they would
 * end the header early and let a value inject headers or a body (RFC 3261 7.3.1).
 */
function checkLine(name: string, value: string): void {
  if (!isToken(name)) {
    throw new TypeError(`invalid SIP header name ${JSON.stringify(name)}`);
  }
  if (/[\r\n\0]/.test(value)) {
    throw new TypeError(`SIP header ${name} value contains CR, LF or NUL`);
  }
}

/** The value of the first line of a header, or undefined. */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  const is = matcher(name);
  for (const h of msg.headers) {
    if (is(h.name)) {
      return h.value;
    }
  }
  return undefined;
}

/**
 * Every value of a list header (Via, Route, Record-Route, Contact, P-Asserted-Identity, ...),
 * in order: all lines, each split on list commas (RFC 3261 7.3.1). Not for headers whose
 * values contain non-separating commas (Date, WWW-Authenticate, ...) or that separate with
 * ';' (Privacy, RFC 3323 4.2).
 */
export function getHeaderValues(msg: SipMessage, name: string): string[] {
  const is = matcher(name);
  const out: string[] = [];
  for (const h of msg.headers) {
    if (is(h.name)) {
      pushValues(out, h);
    }
  }
  return out;
}

/**
 * Adds a header line's values to `out`. Split afresh each time: a line is mostly one value (no
 * comma, nothing to split), and remembering splits per line in a WeakMap cost more than the split.
 */
function pushValues(out: string[], h: SipHeader): void {
  const value = h.value;
  if (value.indexOf(',') < 0) {
    const only = value.trim();
    if (only !== '') {
      out.push(only);
    }
    return;
  }
  for (const v of splitHeaderValues(value)) {
    out.push(v);
  }
}

export function hasHeader(msg: SipMessage, name: string): boolean {
  const is = matcher(name);
  return msg.headers.some((h) => is(h.name));
}

/** Replaces all lines of a header with one line at the position of the first; appends when absent. */
export function setHeader(msg: SipMessage, name: string, value: string): void {
  const canonical = canonicalHeaderName(name);
  checkLine(canonical, value);
  const is = matcher(canonical);
  const headers = msg.headers;
  const line: SipHeader = { name: canonical, value };
  let placed = false;
  let w = 0;
  for (let r = 0; r < headers.length; r++) {
    const h = headers[r];
    if (h === undefined) {
      continue;
    }
    if (is(h.name)) {
      if (placed) {
        continue;
      }
      headers[w++] = line;
      placed = true;
    } else {
      headers[w++] = h;
    }
  }
  headers.length = w;
  if (!placed) {
    headers.push(line);
  }
}

/** Removes every line of a header. */
export function removeHeader(msg: SipMessage, name: string): void {
  const is = matcher(name);
  const headers = msg.headers;
  let w = 0;
  for (let r = 0; r < headers.length; r++) {
    const h = headers[r];
    if (h !== undefined && !is(h.name)) {
      headers[w++] = h;
    }
  }
  headers.length = w;
}

/** Adds a line after all others. */
export function appendHeader(msg: SipMessage, name: string, value: string): void {
  const canonical = canonicalHeaderName(name);
  checkLine(canonical, value);
  msg.headers.push({ name: canonical, value });
}

/**
 * Adds a line before the first line of that header (where a proxy puts its Via or
 * Record-Route, RFC 3261 16.6), or at the top of the header list when the header is absent.
 */
export function prependHeader(msg: SipMessage, name: string, value: string): void {
  const canonical = canonicalHeaderName(name);
  checkLine(canonical, value);
  const is = matcher(canonical);
  const index = msg.headers.findIndex((h) => is(h.name));
  msg.headers.splice(index < 0 ? 0 : index, 0, { name: canonical, value });
}
