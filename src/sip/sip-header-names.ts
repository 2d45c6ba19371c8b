/**
 * Canonical spelling of SIP header names. Header names are case-insensitive
 * (RFC 3261 7.3.1) and several have a compact one-letter form (RFC 3261 7.3.3 and the
 * IANA "Header Fields" registry); the message model stores the canonical long form so the
 * rest of the guard can compare names with `===`.
 */

/** Compact forms (IANA SIP "Header Fields" registry, "Compact" column). */
const COMPACT: ReadonlyArray<readonly [string, string]> = [
  ['a', 'Accept-Contact'], // RFC 3841
  ['b', 'Referred-By'], // RFC 3892
  ['c', 'Content-Type'],
  ['d', 'Request-Disposition'], // RFC 3841
  ['e', 'Content-Encoding'],
  ['f', 'From'],
  ['i', 'Call-ID'],
  ['j', 'Reject-Contact'], // RFC 3841
  ['k', 'Supported'],
  ['l', 'Content-Length'],
  ['m', 'Contact'],
  ['n', 'Identity-Info'], // RFC 4474
  ['o', 'Event'], // RFC 6665
  ['r', 'Refer-To'], // RFC 3515
  ['s', 'Subject'],
  ['t', 'To'],
  ['u', 'Allow-Events'], // RFC 6665
  ['v', 'Via'],
  ['x', 'Session-Expires'], // RFC 4028
  ['y', 'Identity'], // RFC 8224
];

/** Known headers whose canonical spelling is not plain Title-Case, or that the guard handles. */
const KNOWN: readonly string[] = [
  // RFC 3261 section 20
  'Accept', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Authentication-Info',
  'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition', 'Content-Encoding',
  'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info', 'Expires',
  'From', 'In-Reply-To', 'Max-Forwards', 'Min-Expires', 'MIME-Version', 'Organization', 'Priority',
  'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'Record-Route', 'Reply-To',
  'Require', 'Retry-After', 'Route', 'Server', 'Subject', 'Supported', 'Timestamp', 'To',
  'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
  // Extensions common in IMS
  'Accept-Contact', 'Reject-Contact', 'Request-Disposition', // RFC 3841
  'RSeq', 'RAck', // RFC 3262
  'Event', 'Allow-Events', 'Subscription-State', // RFC 6665
  'Refer-To', 'Referred-By', 'Replaces', 'Target-Dialog', // RFC 3515, 3892, 3891, 4538
  'Session-Expires', 'Min-SE', // RFC 4028
  'Identity', 'Identity-Info', // RFC 8224, RFC 4474
  'Privacy', 'P-Asserted-Identity', 'P-Preferred-Identity', // RFC 3323, 3325
  'Reason', // RFC 3326
  'Path', 'Service-Route', // RFC 3327, 3608
  'History-Info', // RFC 7044
  'Diversion', // RFC 5806
  'Remote-Party-ID', // draft-ietf-sip-privacy-04, still sent by some gateways
  'Security-Client', 'Security-Server', 'Security-Verify', // RFC 3329
  'SIP-ETag', 'SIP-If-Match', // RFC 3903
  'Resource-Priority', 'Accept-Resource-Priority', // RFC 4412
  'Geolocation', 'Geolocation-Routing', 'Geolocation-Error', // RFC 6442
  'Recv-Info', 'Info-Package', // RFC 6086
  'Feature-Caps', // RFC 6809
  'Session-ID', // RFC 7989
  'Max-Breadth', // RFC 5393
  'Answer-Mode', 'Priv-Answer-Mode', // RFC 5373
  'Content-ID', // RFC 8262
  'Contribution-ID', 'Conversation-ID', 'InReplyTo-Contribution-ID', // OMA CPM
  'Cellular-Network-Info', // RFC 7913
  // 3GPP P-headers (3GPP TS 24.229 7.2A; RFC 7315, RFC 5502, RFC 6050, RFC 5009 and others)
  'P-Access-Network-Info', 'P-Associated-URI', 'P-Called-Party-ID', 'P-Charging-Function-Addresses',
  'P-Charging-Vector', 'P-Visited-Network-ID', 'P-Served-User', 'P-Asserted-Service',
  'P-Preferred-Service', 'P-Early-Media', 'P-Media-Authorization', 'P-Profile-Key',
  'P-User-Database', 'P-Private-Network-Indication', 'P-Refused-URI-List', 'P-Answer-State',
];

const CANONICAL = new Map<string, string>();
for (const name of KNOWN) {
  CANONICAL.set(name.toLowerCase(), name);
}
for (const [compact, long] of COMPACT) {
  CANONICAL.set(compact, long);
}

/** Canonical spellings and compact forms, as written, to their canonical names. */
const AS_WRITTEN = new Map<string, string>();
for (const name of CANONICAL.values()) {
  AS_WRITTEN.set(name, name);
}
for (const [compact, long] of COMPACT) {
  AS_WRITTEN.set(compact, long);
  AS_WRITTEN.set(compact.toUpperCase(), long);
}

/**
 * The canonical form of a header name: compact forms expanded, known names in their
 * registered spelling, matched case-insensitively. Unknown names come back as written
 * (callers that compare unknown names must do so case-insensitively).
 */
export function canonicalHeaderName(name: string): string {
  // Nearly every name is already spelled canonically (the parser and the setters store it so):
  // looked up as written first, it needs no lower-cased copy.
  return AS_WRITTEN.get(name) ?? CANONICAL.get(name.toLowerCase()) ?? name;
}

/** Whether `name` is a known header's canonical spelling (then no other spelling of another name equals it ignoring case). */
export function isCanonicalSpelling(name: string): boolean {
  return AS_WRITTEN.get(name) === name;
}
