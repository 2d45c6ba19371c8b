/**
 * Which SIP headers may cross the guard between the trust domain and an untrusted peer.
 *
 * An allow-list, not a deny-list: a header the guard does not know to be harmless does not
 * pass (TS 24.229 4.4: information only the trust domain may see stays there; RFC 3323 5:
 * a privacy service removes what it cannot vouch for). Untrusted peers have read this code,
 * so every entry below is a promise that the header's grammar leaves no room for who or where
 * a user is, and, inbound, that it cannot make the core or a UE do anything the policy has
 * not decided.
 *
 * Names are the canonical long forms the parser stores (src/sip/sip-header-names.ts); the
 * sets hold them lower-cased and every comparison goes through `canonicalHeaderName`, so
 * compact forms and odd capitalisation match too.
 */
import { canonicalHeaderName } from '../sip/sip-header-names.ts';
import { parseNameAddr } from '../sip/name-addr.ts';
import type { SipMessage } from '../sip/sip-message.ts';
import { ASSERTED_IDENTITY_HEADERS, OPAQUE_IDENTITY_HEADERS, URI_IDENTITY_HEADERS } from './identity-headers.ts';
import { memoized } from '../text/parse-memo.ts';

/**
 * The lower-cased canonical form of a header name, the key of every set in this module. Asked for
 * every header of a message by several passes: remembered per name as written (the bounded parse
 * memo), so a pass costs a lookup, not a lower-cased copy. Declared first: the module's own sets
 * are built with it.
 */
export const headerKey: (name: string) => string = memoized((name) => canonicalHeaderName(name).toLowerCase(), { maxKey: 256, maxEntries: 1024 });

/**
 * Headers that belong to one hop or one dialog. The B2BUA writes its own on each leg
 * (RFC 3261 16.6, 12.2; src/call/sip-builders.ts), so what the other side wrote never
 * reaches the peer; the shield must keep them because it also runs on messages the guard
 * has already built for the leg (responses), and the controller reads them after admission.
 */
export const LEG_HEADERS: readonly string[] = [
  'Via',
  'Route',
  'Record-Route',
  'Contact',
  'From',
  'To',
  'Call-ID',
  'CSeq',
  'Max-Forwards',
  'Content-Length',
  'Content-Type',
];

/**
 * Headers whose grammar is option tags, methods, media types, numbers, dates or protocol
 * codes: nothing in them names a user, a device or a place. Allowed in both directions.
 */
const IDENTITY_FREE_BOTH_WAYS: readonly string[] = [
  // RFC 3261 20.1-20.3, 20.5: what the sender accepts and allows (media types, codings, methods).
  'Accept',
  'Accept-Encoding',
  'Accept-Language', // a language preference, not an identity; the AS may need it to serve content
  'Allow',
  // RFC 3261 20.32, 20.37, 20.40, 20.29: option tags. Dropping them would break 100rel,
  // timers, preconditions; an unknown tag can only make the far end refuse.
  'Supported',
  'Require',
  'Proxy-Require',
  'Unsupported',
  // RFC 3261 20.11-20.13, 20.15, 20.24: body descriptors. The body itself is the SDP
  // shield's business (o= username, src/sdp).
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'MIME-Version',
  // RFC 3261 20.17, 20.23: durations.
  'Expires',
  'Min-Expires',
  // RFC 4028: session timer duration and refresher role (uac/uas).
  'Session-Expires',
  'Min-SE',
  // RFC 3262: reliable provisional response sequence numbers (the controller maps RAck per leg).
  'RSeq',
  'RAck',
  // RFC 6665: event package names and subscription state; the `id` parameter is an opaque
  // subscription id chosen by the subscriber.
  'Event',
  'Allow-Events',
  'Subscription-State',
  // RFC 3326: protocol and cause code (Q.850 or SIP status) of a BYE or CANCEL.
  'Reason',
  // RFC 3261 20.33, 20.38, 20.10: seconds, a timestamp, a GMT date.
  'Retry-After',
  'Timestamp',
  'Date',
  // RFC 6086: INFO package names.
  'Recv-Info',
  'Info-Package',
  // RFC 3903: opaque entity tags the event state compositor chose.
  'SIP-ETag',
  'SIP-If-Match',
];

/**
 * Allowed toward an untrusted peer only: harmless to show, but coming from a peer they would
 * make the core or the callee's phone act on the peer's word.
 */
const IDENTITY_FREE_OUTBOUND_ONLY: readonly string[] = [
  // RFC 5009: early-media authorisation, a network decision; a peer must not grant it
  // (RFC 5009 8: trusted only from within the network).
  'P-Early-Media',
  // RFC 5373: asks the callee's UE to answer by itself; from a peer it would be an eavesdropping
  // switch (RFC 5373 10).
  'Answer-Mode',
  'Priv-Answer-Mode',
  // RFC 3261 20.26: one of emergency/urgent/normal/non-urgent, informational only.
  'Priority',
];

/**
 * Allowed from an untrusted peer only: a peer describing itself or its refusal, which the
 * core may read; toward a peer they would show the core's topology.
 */
const HARMLESS_INBOUND_ONLY: readonly string[] = [
  // RFC 3261 20.43: the warn-agent is a host name. The peer's own is no secret; the core's
  // (S-CSCF, MRF) would be topology (RFC 3323 5.1 lists Warning under header privacy).
  'Warning',
  // RFC 3261 20.35: the peer's own software. Toward a peer the core's Server is a
  // fingerprint of its nodes.
  'Server',
  // RFC 3515 2.1: the transfer target of a REFER from the peer; the policy engine decides
  // whether the peer may transfer at all. Admitted only without embedded headers, see
  // `admitUntrustedHeaders`. Toward a peer it names a party: not allowed.
  'Refer-To',
];

/*
 * Deliberately on neither list (so removed in both directions), with the reason:
 *  Identity, Identity-Info (RFC 8224, 4474): a signed PASSporT with both numbers.
 *  Geolocation, Geolocation-Routing, Geolocation-Error (RFC 6442), Cellular-Network-Info
 *    (RFC 7913), P-Visited-Network-ID (RFC 7315): where the user is or roams.
 *  Accept-Contact (RFC 3841), Feature-Caps (RFC 6809): feature tags may carry +sip.instance
 *    (the IMEI, TS 24.229 7.9.2), registration tokens and THIG paths (TS 24.229 7.9A), and
 *    from a peer would steer the core's forking. Removed here as they came; toward a peer the
 *    guard writes its own values of them, filtered per `grants.capabilities`
 *    (src/call/contact-features.ts, src/privacy/capability-tags.ts). Reject-Contact: the same
 *    device ids, and nothing a peer needs. Request-Disposition: proxy directives a peer has no
 *    business giving.
 *  Referred-By, Refer-To outbound (RFC 3892, 3515): name parties. Replaces, Target-Dialog
 *    (RFC 3891, 4538): dialog ids of another call (Call-IDs often hold a host or number), and
 *    from a peer a way to take over a dialog.
 *  Subject, Organization, Reply-To, In-Reply-To, Call-Info, Alert-Info, Error-Info
 *    (RFC 3261 20, RFC 3323 5.1): user-written text and URIs; from a peer, URIs a phone fetches
 *    (tracking) and caller-display text (spoofing).
 *  User-Agent, Server outbound: device and node fingerprints.
 *  Authorization, Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate,
 *    Authentication-Info (RFC 3261 22): the private user identity and credentials; a
 *    challenge from a peer would make the UE answer with them.
 *  Security-Client, Security-Server, Security-Verify (RFC 3329): hop-by-hop, P-CSCF only.
 *  Path, Service-Route (RFC 3327, 3608): registration routes, topology, and from a peer a
 *    way to insert itself into later requests.
 *  P-Associated-URI, P-Profile-Key, P-User-Database, P-Preferred-Service,
 *    P-Media-Authorization, P-Private-Network-Indication, P-Refused-URI-List, P-Answer-State
 *    (TS 24.229 7.2A): subscriber data, policy tokens and network-internal state.
 *  Resource-Priority, Accept-Resource-Priority (RFC 4412): the caller's priority category,
 *    like cpc; from a peer, a claim to priority treatment.
 *  Session-ID (RFC 7989): one id end to end, which would let two peers, or one across its
 *    pseudonyms, correlate the same call. Content-ID (RFC 8262): a cid: URL with a host.
 *  Contribution-ID, Conversation-ID, InReplyTo-Contribution-ID (OMA CPM): correlate a user's
 *    separate sessions.
 *  Max-Breadth (RFC 5393): a proxy forking budget, meaningless across a B2BUA.
 *  Privacy (RFC 3323): honoured and removed by the shield; from a peer it would override the
 *    user's own choice (the restorer puts the user's back).
 *  Any X- or otherwise unknown header: unknown, so not known to be harmless.
 */

/** Toward an untrusted peer: the identity-free headers plus what the shield rewrites per identity mode. */
export const OUTBOUND_ALLOWED_HEADERS: ReadonlySet<string> = lowerSet([
  ...LEG_HEADERS,
  ...IDENTITY_FREE_BOTH_WAYS,
  ...IDENTITY_FREE_OUTBOUND_ONLY,
  // Rewritten (anonymous, pseudonym) or removed (remove) by shieldIdentities before this list applies.
  ...ASSERTED_IDENTITY_HEADERS,
  ...URI_IDENTITY_HEADERS,
]);

/**
 * From an untrusted peer: the harmless headers plus the identity headers the restorer maps
 * back (src/privacy/identity-restorer.ts): an asserted identity survives only when it is one
 * the guard issued (RFC 3325 9.1), History-Info, Diversion and P-Called-Party-ID are mapped
 * back to the real users. P-Served-User is not here: it is applicable only inside the trust
 * domain (RFC 5502 6), and the restorer puts the original back on the peer's onward request.
 * Nor are P-Access-Network-Info, P-Charging-Vector, P-Charging-Function-Addresses,
 * P-Asserted-Service and User-Agent: a peer's own would be believed as the network's
 * location, charging correlation or service, and the restorer puts the originals back.
 */
export const INBOUND_ALLOWED_HEADERS: ReadonlySet<string> = lowerSet([
  ...LEG_HEADERS,
  ...IDENTITY_FREE_BOTH_WAYS,
  ...HARMLESS_INBOUND_ONLY,
  ...ASSERTED_IDENTITY_HEADERS,
  ...URI_IDENTITY_HEADERS.filter((name) => name !== 'P-Served-User'),
]);

/**
 * Names `privacy.pass_headers` may not list, with why: headers the guard writes, rewrites or
 * always removes itself, so listing them would either do nothing or undo a protection.
 * Keyed by lower-cased canonical name.
 */
export const GUARD_OWNED_HEADERS: ReadonlyMap<string, string> = new Map<string, string>([
  ...LEG_HEADERS.map((name): [string, string] => [name.toLowerCase(), 'the guard writes its own on each leg (a B2BUA, RFC 3261 16.6, 12.2)']),
  ...[...ASSERTED_IDENTITY_HEADERS, ...URI_IDENTITY_HEADERS].map((name): [string, string] => [
    name.toLowerCase(),
    "the guard rewrites it per the peer's identity mode (TS 24.229 4.4); use identity: pass for a peer that may see it",
  ]),
  ...OPAQUE_IDENTITY_HEADERS.map((name): [string, string] => [
    name.toLowerCase(),
    'the guard always removes it toward a peer whose identity is not pass, and puts the original back on the way in (TS 24.229 4.4)',
  ]),
  ['privacy', 'the guard honours it and removes it at the edge of the trust domain (RFC 3323 5.3)'],
  ['accept-contact', "the guard writes its feature tags itself, filtered per the peer's grants.capabilities (RFC 3841); use grants.capabilities"],
  ['feature-caps', "the guard writes its feature tags itself, filtered per the peer's grants.capabilities (RFC 6809); use grants.capabilities"],
  ['authorization', 'credentials never go to an untrusted peer (RFC 3261 22)'],
  ['proxy-authorization', 'credentials never go to an untrusted peer (RFC 3261 22)'],
]);

/**
 * The lower-cased canonical names of `privacy.pass_headers`, for `ShieldContext.passHeaders`
 * and `admitUntrustedHeaders`. Build it once per profile.
 */
export function passHeaderSet(names: readonly string[]): ReadonlySet<string> {
  return lowerSet(names);
}

/**
 * Removes every header line whose name is not in `allowed` or `passHeaders` (both keyed by
 * `headerKey`). Returns the canonical names removed, each once, in message order. Mutates `msg`.
 */
export function keepAllowedHeaders(msg: SipMessage, allowed: ReadonlySet<string>, passHeaders: ReadonlySet<string>): string[] {
  const removed: string[] = [];
  msg.headers = msg.headers.filter((h) => {
    const key = headerKey(h.name);
    if (allowed.has(key) || passHeaders.has(key)) {
      return true;
    }
    const name = canonicalHeaderName(h.name);
    if (!removed.includes(name)) {
      removed.push(name);
    }
    return false;
  });
  return removed;
}

/**
 * "What you do not recognise does not pass from an untrusted peer": keeps only the headers of
 * `INBOUND_ALLOWED_HEADERS` and the profile's `privacy.pass_headers` (`passHeaderSet`), and a
 * Refer-To only when its URI carries no embedded headers (RFC 3515 2.1 turns `?name=value`
 * into headers of the request the referee sends: a peer could plant P-Asserted-Identity or
 * Replaces in it). Returns the canonical names removed, for the decision log. Mutates `msg`.
 *
 * Call it on a message from an untrusted peer BEFORE `restoreIdentities`: the restorer then
 * puts back the trust domain's own P-Charging-Vector, P-Access-Network-Info and the like,
 * which this function removes as the peer's.
 */
export function admitUntrustedHeaders(msg: SipMessage, passHeaders: ReadonlySet<string>): string[] {
  const removed = keepAllowedHeaders(msg, INBOUND_ALLOWED_HEADERS, passHeaders);
  if (!passHeaders.has('refer-to') && msg.headers.some((h) => headerKey(h.name) === 'refer-to' && !isPlainReferTo(h.value))) {
    msg.headers = msg.headers.filter((h) => headerKey(h.name) !== 'refer-to');
    removed.push('Refer-To');
  }
  return removed;
}

/** A Refer-To that is one name-addr whose URI has no `?headers` part (RFC 3261 19.1.1). */
function isPlainReferTo(value: string): boolean {
  try {
    return !parseNameAddr(value).uri.includes('?');
  } catch {
    return false;
  }
}

function lowerSet(names: readonly string[]): ReadonlySet<string> {
  return new Set(names.map(headerKey));
}
