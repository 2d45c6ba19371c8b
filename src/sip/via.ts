/** One Via header value (RFC 3261 20.42, 25.1 via-parm). */
import { formatParams, parseGenericParams, parseParams } from './header-values.ts';
import { isHost, isToken } from './sip-grammar.ts';
import { SipParseError, excerpt } from './sip-parse-error.ts';
import { memoized } from '../text/parse-memo.ts';

export interface Via {
  /** sent-protocol with any whitespace around '/' removed, e.g. 'SIP/2.0/UDP'. */
  readonly protocol: string;
  /** The transport part of `protocol` as written, e.g. 'UDP' (compare case-insensitively). */
  readonly transport: string;
  /** sent-by host as written; IPv6 keeps its brackets. */
  readonly host: string;
  readonly port: number | null;
  /** via-params (branch, received, rport, ...), names and values as written. */
  readonly params: ReadonlyArray<readonly [string, string | null]>;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Parses one Via value: sent-protocol LWS sent-by *( SEMI via-params ). SLASH and COLON allow
 * whitespace around them (RFC 3261 25.1: SLASH = SWS "/" SWS, COLON = SWS ":" SWS).
 * Throws SipParseError when malformed; a comma-separated list is malformed (split it first).
 */
function readVia(value: string): Via {
  return parseViaWith(value, parseGenericParams);
}

/** Unquoted gen-value characters (RFC 3261 25.1: token / host): token characters plus ':' '[' ']'. */
const LOOSE_VALUE = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~:[]') {
  LOOSE_VALUE[c.charCodeAt(0)] = 1;
}

function isLooseValue(v: string): boolean {
  if (v === '') {
    return false;
  }
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 128 || LOOSE_VALUE[c] !== 1) {
      return false;
    }
  }
  return true;
}

/**
 * Like parseVia, but the via-params are read forgivingly: empty ones (`;;`) and malformed ones
 * are skipped instead of refusing the whole value; sent-protocol and sent-by stay strict. Only
 * for answering a request the parser refused (RFC 4475 3.1.2.1 "badinv01": `192.0.2.15;;,;,,`
 * must get its 400), never for accepting one. Throws SipParseError when sent-protocol or
 * sent-by is malformed or something other than parameters follows sent-by.
 */
export function parseViaLoosely(value: string): Via {
  return parseViaWith(value, (rest) => {
    const trimmed = rest.trim();
    if (trimmed !== '' && trimmed.charCodeAt(0) !== 0x3b /* ; */) {
      throw new SipParseError(`expected ';' before parameters, got ${excerpt(trimmed)}`);
    }
    return parseParams(trimmed).filter(([name, v]) => isToken(name) && (v === null || isLooseValue(v)));
  });
}

function parseViaWith(value: string, readParams: (rest: string) => Array<[string, string | null]>): Via {
  const s = value.trim();
  const n = s.length;
  let p = 0;
  const parts: string[] = [];
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      while (p < n && isWs(s.charCodeAt(p))) {
        p++;
      }
      if (s.charCodeAt(p) !== 0x2f /* / */) {
        throw new SipParseError(`bad sent-protocol in ${excerpt(s)}`);
      }
      p++;
      while (p < n && isWs(s.charCodeAt(p))) {
        p++;
      }
    }
    const start = p;
    while (p < n && !isWs(s.charCodeAt(p)) && s.charCodeAt(p) !== 0x2f) {
      p++;
    }
    const part = s.slice(start, p);
    if (!isToken(part)) {
      throw new SipParseError(`bad sent-protocol in ${excerpt(s)}`);
    }
    parts.push(part);
  }
  const transport = parts[2] ?? '';
  // LWS between sent-protocol and sent-by is mandatory
  if (p >= n || !isWs(s.charCodeAt(p))) {
    throw new SipParseError(`missing sent-by in ${excerpt(s)}`);
  }
  while (p < n && isWs(s.charCodeAt(p))) {
    p++;
  }

  // sent-by = host [ COLON port ]
  let hostEnd: number;
  if (s.charCodeAt(p) === 0x5b /* [ */) {
    const close = s.indexOf(']', p);
    if (close < 0) {
      throw new SipParseError(`unterminated IPv6 reference in ${excerpt(s)}`);
    }
    hostEnd = close + 1;
  } else {
    hostEnd = p;
    while (hostEnd < n) {
      const c = s.charCodeAt(hostEnd);
      if (c === 0x3a || c === 0x3b || isWs(c)) {
        break;
      }
      hostEnd++;
    }
  }
  const host = s.slice(p, hostEnd);
  if (!isHost(host)) {
    throw new SipParseError(`bad host ${excerpt(host)}`);
  }
  p = hostEnd;
  while (p < n && isWs(s.charCodeAt(p))) {
    p++;
  }
  let port: number | null = null;
  if (s.charCodeAt(p) === 0x3a /* : */) {
    p++;
    while (p < n && isWs(s.charCodeAt(p))) {
      p++;
    }
    const start = p;
    let value = 0;
    while (p < n && p - start < 6) {
      const c = s.charCodeAt(p);
      if (c < 0x30 || c > 0x39) {
        break;
      }
      value = value * 10 + (c - 0x30);
      p++;
    }
    if (p === start || p - start > 5 || value > 65535) {
      throw new SipParseError(`bad port in ${excerpt(s)}`);
    }
    port = value;
  }
  return {
    protocol: `${parts[0] ?? ''}/${parts[1] ?? ''}/${transport}`,
    transport,
    host,
    port,
    params: readParams(s.slice(p)),
  };
}

/** Formats a Via value from `protocol`, host, port and params. */
export function formatVia(v: Via): string {
  const hostport = v.port === null ? v.host : `${v.host}:${v.port}`;
  return `${v.protocol} ${hostport}${formatParams(v.params)}`;
}

/** A Via parameter, name case-insensitive: undefined when absent, null when without value (";rport"). */
export function viaParam(v: Via, name: string): string | null | undefined {
  const wanted = name.toLowerCase();
  for (const [n, value] of v.params) {
    if (n.toLowerCase() === wanted) {
      return value;
    }
  }
  return undefined;
}

/** Memoized (src/text/parse-memo.ts): the same value is read once. */
export const parseVia: (value: string) => Via = memoized(readVia, { remembers: SipParseError });
