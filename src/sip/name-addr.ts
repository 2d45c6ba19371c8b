/**
 * name-addr / addr-spec values of From, To, Contact, P-Asserted-Identity, Route and similar
 * headers (RFC 3261 20.10, 25.1: ( name-addr / addr-spec ) *( SEMI generic-param )).
 */
import { formatParams, parseGenericParams } from './header-values.ts';
import { isUriShape } from './sip-grammar.ts';
import { SipParseError, excerpt } from './sip-parse-error.ts';
import { parseUri } from './sip-uri.ts';
import { memoized } from '../text/parse-memo.ts';

export interface NameAddr {
  /** Display name with quotes removed and escapes resolved; null when there is none. */
  readonly displayName: string | null;
  /** The URI as written, without '<' '>'. */
  readonly uri: string;
  /** Header parameters (tag, expires, ...), not URI parameters. */
  readonly params: ReadonlyArray<readonly [string, string | null]>;
}

const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LT = 0x3c;

/**
 * Reads the quoted-string starting at s[0] (RFC 3261 25.1: DQUOTE *(qdtext / quoted-pair)
 * DQUOTE) and returns its content with quoted-pairs resolved and the index after the closing quote.
 */
function readQuoted(s: string): { text: string; end: number } {
  const n = s.length;
  let text = '';
  let chunk = 1;
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) {
      if (i + 1 >= n) {
        break;
      }
      text += s.slice(chunk, i);
      chunk = i + 1; // keep the escaped character, drop the backslash
      i++;
    } else if (c === DQUOTE) {
      return { text: text + s.slice(chunk, i), end: i + 1 };
    }
  }
  throw new SipParseError('unterminated quoted display name');
}

/**
 * Checks the URI inside '<...>' or of a bare addr-spec. sip/sips/tel must parse; other schemes
 * (urn:service:sos in emergency calls, RFC 5031) only need the absoluteURI shape.
 */
function checkUri(uri: string): void {
  if (!isUriShape(uri)) {
    throw new SipParseError(`bad URI ${excerpt(uri)}`);
  }
  const colon = uri.indexOf(':');
  if (colon === 3 || colon === 4) {
    const scheme = uri.slice(0, colon).toLowerCase();
    if ((scheme === 'sip' || scheme === 'sips' || scheme === 'tel') && parseUri(uri) === null) {
      throw new SipParseError(`bad ${scheme} URI ${excerpt(uri)}`);
    }
  }
}

/** True when an unquoted display name holds a character that would make the value ambiguous. */
function hasBadDisplayChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c === DQUOTE || c === 0x3e /* > */) {
      return true;
    }
  }
  return false;
}

/**
 * Parses one name-addr or addr-spec with its header parameters. Throws SipParseError on
 * unbalanced quotes or brackets, a bad URI, or bad parameters.
 */
function readNameAddr(value: string): NameAddr {
  const s = value.trim();
  if (s === '') {
    throw new SipParseError('empty address');
  }
  let displayName: string | null = null;
  let lt: number;
  if (s.charCodeAt(0) === DQUOTE) {
    const quoted = readQuoted(s);
    displayName = quoted.text;
    lt = quoted.end;
    // LAQUOT = SWS "<": whitespace allowed between the display name and '<'
    while (lt < s.length && (s.charCodeAt(lt) === 0x20 || s.charCodeAt(lt) === 0x09)) {
      lt++;
    }
    if (s.charCodeAt(lt) !== LT) {
      throw new SipParseError('expected < after quoted display name');
    }
  } else {
    lt = s.indexOf('<');
    if (lt < 0) {
      // addr-spec without <>: the URI cannot contain ';' here, so the first ';' starts the
      // header parameters (RFC 3261 20.10). SEMI = SWS ";" SWS (25.1): whitespace before the ';'
      // belongs to the separator, not the URI (RFC 4475 3.1.1.1 "wsinv": `sip:a@b ;   tag = 1`).
      const semi = s.indexOf(';');
      const uri = semi < 0 ? s : s.slice(0, semi).trimEnd();
      checkUri(uri);
      return { displayName: null, uri, params: semi < 0 ? [] : parseGenericParams(s.slice(semi)) };
    }
    // display-name = *(token LWS) / quoted-string. Unquoted non-token characters (UTF-8 names)
    // are common from real UEs and accepted; only characters that break the structure are not.
    const name = s.slice(0, lt).trim();
    if (hasBadDisplayChar(name)) {
      throw new SipParseError(`bad display name ${excerpt(name)}`);
    }
    displayName = name === '' ? null : name;
  }
  const gt = s.indexOf('>', lt + 1);
  if (gt < 0) {
    throw new SipParseError('missing > after URI');
  }
  const uri = s.slice(lt + 1, gt);
  checkUri(uri);
  return { displayName, uri, params: parseGenericParams(s.slice(gt + 1)) };
}

/** Formats as `"Display" <uri>;params` or `<uri>;params`; the display name is always quoted. */
export function formatNameAddr(na: NameAddr): string {
  const params = formatParams(na.params);
  if (na.displayName === null) {
    return `<${na.uri}>${params}`;
  }
  // quoted-pair for the two characters that cannot appear raw in a quoted-string
  const quoted = na.displayName.replace(/[\\"]/g, '\\$&');
  return `"${quoted}" <${na.uri}>${params}`;
}

/** Memoized (src/text/parse-memo.ts): the same value is read once. */
export const parseNameAddr: (value: string) => NameAddr = memoized(readNameAddr, { remembers: SipParseError });

/** The URI of a name-addr or addr-spec value (Contact, Route, P-Served-User...), or null when there is none or it cannot be read. */
export function nameAddrUri(value: string | undefined): string | null {
  if (value === undefined) {
    return null;
  }
  try {
    return parseNameAddr(value).uri;
  } catch {
    return null;
  }
}
