import type { IdentityMode } from '../profile/profile-types.ts';
import type { Reason } from '../policy/reason.ts';
import type { SipMessage } from '../sip/sip-message.ts';
import { formatNameAddr, parseNameAddr } from '../sip/name-addr.ts';
import { getHeader, getHeaderValues, removeHeader, setHeader } from '../sip/sip-headers.ts';
import { setOriginUsername } from '../sdp/dc-rewrite.ts';
import { keepSdpLines } from '../sdp/refuse-dc-media-in-text.ts';
import { anonymiseSdpSession, type SdpSessionPrivacyContext } from './sdp-session-privacy.ts';
import {
  ASSERTED_IDENTITY_HEADERS,
  HEADER_PRIVACY_HEADERS,
  OPAQUE_IDENTITY_HEADERS,
  URI_IDENTITY_HEADERS,
  USER_PRIVACY_HEADERS,
} from './identity-headers.ts';
import { ANONYMOUS_URI, type Pseudonymizer } from './pseudonymizer.ts';
import { mapSdpParts, removeBodyParts } from '../sip/sdp-body.ts';
import { UNTRUSTED_BODY_TYPES } from '../policy/body-admission.ts';
import type { Flow, IssuedIdentities } from './issued-identity.ts';
import { OUTBOUND_ALLOWED_HEADERS, keepAllowedHeaders } from './header-allow-list.ts';

export interface ShieldContext {
  readonly peerId: string;
  readonly mode: IdentityMode;
  readonly pseudonymizer: Pseudonymizer | null;
  /** Filled as pseudonyms are issued; kept with the call to map them back. */
  readonly issued: IssuedIdentities;
  /**
   * True for a dialog-creating request: its Request-URI, From and To carry the parties'
   * identities. In-dialog requests and responses carry the leg's own dialog identifiers,
   * which were shielded when the leg was created and must not change (RFC 3261 12.2.1.1).
   */
  readonly dialogCreating: boolean;
  /** Which way the message crosses the call (see issued-identity.ts): the pseudonyms it issues are bound to it. */
  readonly flow: Flow;
  /**
   * The profile's `privacy.pass_headers`, lower-cased canonical names (`passHeaderSet`): let
   * through on top of `OUTBOUND_ALLOWED_HEADERS` when the mode is not `pass`. Absent: none.
   */
  readonly passHeaders?: ReadonlySet<string>;
  /**
   * What an SDP toward this peer says in `o=` instead of the user's (RFC 8866 5.2): the leg's own
   * session id and the guard's address.
   */
  readonly sdpSession: SdpSessionPrivacyContext;
}

export type ShieldOutcome =
  | {
      readonly ok: true;
      /** Canonical names of the headers the allow-list removed (not the ones removed by name), for the decision log. */
      readonly removed: readonly string[];
    }
  | { readonly ok: false; readonly status: number; readonly reason: Reason };

const NO_PASS_HEADERS: ReadonlySet<string> = new Set();

/**
 * Treats every identity in a message bound for an untrusted peer per that peer's identity
 * mode, and honours the RFC 3323 `Privacy` values the user asked for. Unless the mode is
 * `pass`, only the headers of `OUTBOUND_ALLOWED_HEADERS` and `ctx.passHeaders` leave: identity
 * hides in more headers than any list of them can name (TS 24.229 4.4). Mutates `msg`.
 */
export function shieldIdentities(msg: SipMessage, ctx: ShieldContext): ShieldOutcome {
  const privacy = privacyValues(getHeader(msg, 'Privacy'));
  const unmet = unmetCriticalPrivacy(msg, ctx.peerId);
  if (unmet !== null) {
    return unmet;
  }
  const replaceUri = uriReplacer(ctx, false);
  const replaceAsserted = uriReplacer(ctx, true);
  let removed: string[] = [];
  if (ctx.mode !== 'pass') {
    if (ctx.dialogCreating && msg.kind === 'request' && isPartyUri(msg.uri)) {
      msg.uri = replaceUri(msg.uri, null);
    }
    if (ctx.dialogCreating && msg.kind === 'request') {
      rewriteNameAddr(msg, 'From', replaceUri, ctx.mode);
      rewriteNameAddr(msg, 'To', replaceUri, ctx.mode);
    }
    for (const [names, replace] of [
      [ASSERTED_IDENTITY_HEADERS, replaceAsserted],
      [URI_IDENTITY_HEADERS, replaceUri],
    ] as const) {
      for (const name of names) {
        if (ctx.mode === 'remove') {
          removeHeader(msg, name);
        } else {
          rewriteNameAddr(msg, name, replace, ctx.mode);
        }
      }
    }
    for (const name of OPAQUE_IDENTITY_HEADERS) {
      removeHeader(msg, name);
    }
    // Bodies of other types (application/isup, IMS XML) carry numbers and locations: removed.
    removeBodyParts(msg, (type) => UNTRUSTED_BODY_TYPES.has(type));
    mapSdpParts(msg, (sdp) => sdpTowardPeer(sdp, ctx.sdpSession));
    // Before the Privacy values below, so a user's `Privacy: user` still removes a header the
    // operator lets pass (RFC 3323 4.2: the user's request binds the privacy service).
    removed = keepAllowedHeaders(msg, OUTBOUND_ALLOWED_HEADERS, ctx.passHeaders ?? NO_PASS_HEADERS);
    reasonsWithoutText(msg);
  }
  if (privacy.has('id')) {
    for (const name of ASSERTED_IDENTITY_HEADERS) {
      removeHeader(msg, name);
    }
  }
  if (privacy.has('user')) {
    if (ctx.dialogCreating && msg.kind === 'request') {
      rewriteNameAddr(msg, 'From', () => ANONYMOUS_URI, 'anonymous');
    }
    for (const name of USER_PRIVACY_HEADERS) {
      removeHeader(msg, name);
    }
  }
  if (privacy.has('header')) {
    // Via, Contact and Record-Route never cross the guard: as a B2BUA it writes its own.
    for (const name of HEADER_PRIVACY_HEADERS) {
      removeHeader(msg, name);
    }
  }
  if (privacy.has('history')) {
    removeHeader(msg, 'History-Info');
  }
  // The Privacy header is honoured here, at the edge of the trust domain (RFC 3323 5.3).
  removeHeader(msg, 'Privacy');
  return { ok: true, removed };
}

/**
 * RFC 3323 4.2: a privacy service that cannot apply a function marked critical rejects (500).
 * Asked before anything of the call changes, so the refusal leaves it as it was.
 */
export function unmetCriticalPrivacy(msg: SipMessage, peerId: string): (ShieldOutcome & { ok: false }) | null {
  const privacy = privacyValues(getHeader(msg, 'Privacy'));
  if (privacy.has('critical') && privacy.has('session')) {
    return {
      ok: false,
      status: 500,
      reason: { code: 'privacy.critical-unsupported', peer: peerId, detail: 'Privacy: session needs a media relay, which this guard is not' },
    };
  }
  return null;
}

/**
 * `o=` keeps the user's address and session id, `s=`/`i=`/`u=`/`e=`/`p=` may name them: all are
 * rewritten. An SDP the strict reader refuses (a trusted peer's, passed on unread) loses the
 * lines it cannot read first; if it still cannot be read, at least its `o=` user name goes.
 */
function sdpTowardPeer(sdp: string, session: SdpSessionPrivacyContext): string {
  for (const candidate of [sdp, keepSdpLines(sdp)]) {
    try {
      return anonymiseSdpSession(candidate, session);
    } catch {
      // try the next candidate
    }
  }
  return setOriginUsername(keepSdpLines(sdp), '-');
}

/**
 * Reason (RFC 3326) is allowed for its cause code, but its `text` is free text ("forwarded from
 * +1555…"): toward an untrusted peer only the protocol and `cause` remain.
 */
function reasonsWithoutText(msg: SipMessage): void {
  const values = getHeaderValues(msg, 'Reason');
  if (values.length === 0) {
    return;
  }
  const kept: string[] = [];
  for (const value of values) {
    const protocol = value.split(';', 1)[0]?.trim() ?? '';
    const cause = /;\s*cause\s*=\s*(\d{1,5})/i.exec(value)?.[1];
    if (/^[A-Za-z0-9.!%*_+\x60'~-]+$/.test(protocol)) {
      kept.push(cause === undefined ? protocol : `${protocol};cause=${cause}`);
    }
  }
  if (kept.length === 0) {
    removeHeader(msg, 'Reason');
  } else {
    setHeader(msg, 'Reason', kept.join(', '));
  }
}

type UriReplacer = (uri: string, displayName: string | null) => string;

/** `asserted`: the identity stands in an asserted-identity header (RFC 3325), and may map back into one. */
function uriReplacer(ctx: ShieldContext, asserted: boolean): UriReplacer {
  return (uri, displayName) => {
    if (ctx.mode !== 'pseudonym' || ctx.pseudonymizer === null) {
      return ANONYMOUS_URI;
    }
    if (uri === ANONYMOUS_URI) {
      return uri;
    }
    const pseudonym = ctx.pseudonymizer.uri(uri, ctx.peerId);
    const known = ctx.issued[pseudonym];
    const flows = known?.flows ?? [];
    ctx.issued[pseudonym] = {
      uri,
      displayName,
      flows: flows.includes(ctx.flow) ? flows : [...flows, ctx.flow],
      assertedFlows: !asserted || (known?.assertedFlows ?? []).includes(ctx.flow) ? (known?.assertedFlows ?? []) : [...(known?.assertedFlows ?? []), ctx.flow],
    };
    return pseudonym;
  };
}

/** Replaces the URI of every value of a name-addr header, keeping header parameters such as tag or index. */
function rewriteNameAddr(msg: SipMessage, name: string, replaceUri: UriReplacer, mode: IdentityMode): void {
  const values = getHeaderValues(msg, name);
  if (values.length === 0) {
    return;
  }
  const rewritten: string[] = [];
  for (const value of values) {
    let addr;
    try {
      addr = parseNameAddr(value);
    } catch {
      continue; // an unreadable identity is dropped, never passed on in clear
    }
    rewritten.push(
      formatNameAddr({
        displayName: mode === 'pseudonym' || addr.displayName === null ? null : 'Anonymous',
        uri: replaceUri(stripUriHeaders(addr.uri), addr.displayName),
        params: addr.params.filter(([param]) => SAFE_HEADER_PARAMS.has(param.toLowerCase())),
      }),
    );
  }
  if (rewritten.length === 0) {
    removeHeader(msg, name);
  } else {
    setHeader(msg, name, rewritten.join(', '));
  }
}

/**
 * Header parameters that may stay on a rewritten identity (an allow-list: `+sip.instance` holds
 * an IMEI, a vendor `x-msisdn` the number): the dialog tag, History-Info's index and its
 * rc/mp/np tags (RFC 7044), Diversion's counter, reason and limit (RFC 5806).
 */
const SAFE_HEADER_PARAMS = new Set(['tag', 'index', 'rc', 'mp', 'np', 'counter', 'reason', 'limit']);

/** History-Info URIs carry `?Reason=...` and `?Privacy=...` embedded headers: the identity is what precedes them. */
function stripUriHeaders(uri: string): string {
  const q = uri.indexOf('?');
  return q === -1 ? uri : uri.slice(0, q);
}

function isPartyUri(uri: string): boolean {
  return /^tel:/i.test(uri) || /^sips?:[^@;?]+@/i.test(uri);
}

function privacyValues(header: string | undefined): Set<string> {
  if (header === undefined) {
    return new Set();
  }
  return new Set(
    header
      .split(/[;,]/)
      .map((v) => v.trim().toLowerCase())
      .filter((v) => v !== ''),
  );
}
