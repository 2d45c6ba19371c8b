/**
 * Where identities hide in a SIP message (RFC 3323, RFC 3325, TS 24.229 4.4, TS 24.607):
 * the headers the guard rewrites or removes by name, and restores. These lists are not what
 * protects an untrusted peer's view: every header not known to be harmless is removed anyway
 * (src/privacy/header-allow-list.ts). They say what the guard does with the ones it knows.
 */

/** Assertions only the trust domain may make (RFC 3325 9.1): never taken from an untrusted peer. */
export const ASSERTED_IDENTITY_HEADERS = ['P-Asserted-Identity', 'P-Preferred-Identity', 'Remote-Party-ID'] as const;

/** Headers whose values are identity URIs with parameters worth keeping (index, reason, sescase...). */
export const URI_IDENTITY_HEADERS = ['History-Info', 'Diversion', 'P-Served-User', 'P-Called-Party-ID'] as const;

/**
 * Headers with no anonymous form: location, charging correlation, subscribed service, and the
 * device fingerprint in User-Agent. Removed outright.
 */
export const OPAQUE_IDENTITY_HEADERS = [
  'User-Agent',
  'P-Access-Network-Info',
  'P-Charging-Vector',
  'P-Charging-Function-Addresses',
  'P-Asserted-Service',
] as const;

/** RFC 3323 5.1 `user` and `header` privacy: user-supplied headers that may reveal who or where. */
export const USER_PRIVACY_HEADERS = ['Subject', 'Organization', 'Reply-To', 'In-Reply-To', 'Call-Info', 'User-Agent'] as const;
export const HEADER_PRIVACY_HEADERS = ['Call-Info', 'Organization', 'Reply-To', 'In-Reply-To', 'Warning', 'User-Agent', 'Server'] as const;

/** Every identity-bearing header a trusted peer sent, kept so they can be put back when the call returns. */
export const RESTORABLE_HEADERS = [
  ...ASSERTED_IDENTITY_HEADERS,
  ...URI_IDENTITY_HEADERS,
  ...OPAQUE_IDENTITY_HEADERS,
  'Privacy',
] as const;

/** URI parameters that tell the caller's category and origin line (TS 24.229 7.2A.12). */
export const IDENTITY_URI_PARAMS = new Set(['cpc', 'oli']);
