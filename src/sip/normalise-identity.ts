import { parseUri } from './sip-uri.ts';

/**
 * One spelling per identity, so that consent records, pseudonyms and mappings agree whether
 * an identity arrived as `tel:+1-555-000-1111;cpc=ordinary`, `<sip:+15550001111@ims.example.net;user=phone>`
 * or `sip:Alice@IMS.example.net:5060`.
 *
 * Global numbers (RFC 3966) become `tel:+digits`, whether a SIP URI says `user=phone` or not;
 * SIP and SIPS URIs become `sip:user@host` with the host lower-cased and port and parameters
 * dropped. Anything unparseable is returned trimmed.
 */
export function normaliseIdentity(identity: string): string {
  const text = identity.trim().replace(/^<(.*)>$/, '$1');
  const uri = parseUri(text);
  if (uri === null) {
    return text;
  }
  const user = uri.user === null ? null : decodeUserPart(uri.user);
  if (uri.scheme === 'tel' && user !== null) {
    return `tel:${telDigits(user)}`;
  }
  // A global number is that number with or without `user=phone` (IMS routes both to one user):
  // a consent record must not be missed because a peer left the parameter out.
  if (user !== null && /^\+[0-9][0-9\-.()]*$/.test(user.split(';')[0] ?? '')) {
    return `tel:${telDigits(user)}`;
  }
  const host = uri.host.toLowerCase();
  // sips: names the same user as sip: (RFC 5630: it only asks for TLS on the way).
  return user === null ? `sip:${host}` : `sip:${user}@${host}`;
}

/** Drop RFC 3966 visual separators and any `;param` carried inside a user part. */
function telDigits(user: string): string {
  return (user.split(';')[0] ?? '').replace(/[-.()\s]/g, '');
}

function decodeUserPart(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}
