/**
 * Session-level privacy of an SDP sent toward an untrusted peer (primer section 5: identity
 * also hides in the SDP `o=` username; RFC 3323 4 `Privacy: session`, RFC 4566 5.2-5.6).
 *
 * What goes: the originator's `o=` username, session id and unicast address (RFC 4566 5.2:
 * the tuple is globally unique, and commonly carries the user's name, a phone number or the
 * UE's address), the session name (`s=`), and the free-text and contact lines `i=`, `u=`,
 * `e=`, `p=` (RFC 4566 5.4-5.6) at session and media level.
 *
 * What stays byte for byte: every other line, with its own line ending. In particular `c=`
 * (the media addresses: the guard relays no media, so the peer needs them) and every `a=` line
 * (fingerprint, setup and tls-id bind the DTLS association, RFC 8842; changing one breaks it).
 * The session version is kept: the caller stamps versions per leg (RFC 3264 8).
 *
 * Works on sdp-doc's line model, so the body is read by the same strict reader as the DC
 * policy (an SDP it cannot read throws SdpParseError; the caller decides what to do).
 */
import { SdpParseError } from '../sdp/sdp-parse-error.ts';
import { parseDoc, renderDoc } from '../sdp/sdp-doc.ts';
import { isDecimal, splitTokens } from '../sdp/sdp-fields.ts';

export interface SdpSessionPrivacyContext {
  /** `<sess-id>` written into `o=`: a decimal string (RFC 4566 5.2), e.g. one per call and peer. */
  readonly sessionId: string;
  /** `<unicast-address>` written into `o=`: the guard's own address or host name. */
  readonly address: string;
  readonly addrType: 'IP4' | 'IP6';
}

/** Lines removed wherever they are (RFC 4566 5.4 i=, 5.5 u=, 5.6 e= and p=). */
const REMOVED_TYPES = new Set(['i', 'u', 'e', 'p']);

/** RFC 4566 5.3: a session with no meaningful name. */
const ANONYMOUS_NAME = 's=-';

/**
 * `sdp` with `o=` rewritten to `o=- <ctx.sessionId> <its sess-version> IN <ctx.addrType>
 * <ctx.address>`, `s=` to `s=-`, and every `i=`, `u=`, `e=`, `p=` line removed. Returns `sdp`
 * itself when nothing changes; applying it to its own result changes nothing more.
 *
 * Every `o=` line is rewritten, not only the session-level one the DC reader reports: a second
 * (malformed) one would carry the same identity. Throws SdpParseError when `sdp` cannot be read
 * or an `o=` line has no decimal session version to keep, and RangeError when `ctx` would not
 * make an `o=` line (a value with white space or a line break would inject SDP lines).
 */
export function anonymiseSdpSession(sdp: string, ctx: SdpSessionPrivacyContext): string {
  checkContext(ctx);
  const doc = parseDoc(sdp);
  const edits = new Map<number, string | null>();
  for (let line = 0; line < doc.texts.length; line += 1) {
    // parseDoc leaves only `<letter>=` lines and empty ones (before v=, at the very end).
    const text = doc.texts[line] ?? '';
    const type = text.charAt(0);
    if (type === 'o') {
      const origin = anonymousOrigin(text, line, ctx);
      if (origin !== text) {
        edits.set(line, origin);
      }
    } else if (type === 's') {
      if (text !== ANONYMOUS_NAME) {
        edits.set(line, ANONYMOUS_NAME);
      }
    } else if (REMOVED_TYPES.has(type)) {
      edits.set(line, null);
    }
  }
  return edits.size === 0 ? sdp : renderDoc(doc, edits);
}

/** The anonymous `o=` line for `text` (doc line `line`), keeping its session version. */
function anonymousOrigin(text: string, line: number, ctx: SdpSessionPrivacyContext): string {
  // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 4566 5.2)
  const version = splitTokens(text, 2)[2];
  if (version === undefined || !isDecimal(version)) {
    // A version the guard cannot read is one it cannot vouch for: copying it could copy identity.
    throw new SdpParseError(`SDP line ${line + 1}: o= line without a decimal session version (RFC 4566 section 5.2)`);
  }
  return `o=- ${ctx.sessionId} ${version} IN ${ctx.addrType} ${ctx.address}`;
}

function checkContext(ctx: SdpSessionPrivacyContext): void {
  if (!isDecimal(ctx.sessionId)) {
    throw new RangeError(`o= session id must be a decimal number, got ${JSON.stringify(ctx.sessionId)}`);
  }
  if (ctx.addrType !== 'IP4' && ctx.addrType !== 'IP6') {
    throw new RangeError(`o= address type must be IP4 or IP6, got ${JSON.stringify(ctx.addrType)}`);
  }
  if (!isToken(ctx.address)) {
    throw new RangeError(`o= address must be one token of visible ASCII, got ${JSON.stringify(ctx.address)}`);
  }
}

/** Non-empty and visible ASCII only (0x21-0x7E): no blank, no line break, nothing to inject a line with. */
function isToken(text: string): boolean {
  if (text.length === 0) {
    return false;
  }
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) {
      return false;
    }
  }
  return true;
}
