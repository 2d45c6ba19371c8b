import { parseUri } from './sip-uri.ts';

/**
 * One spelling per identity, so that consent records, pseudonyms and mappings agree whether
 * an identity arrived as `tel:+1-555-000-1111;cpc=ordinary`, `<sip:+15550001111@ims.example.net;user=phone>`
 * or `sip:Alice@IMS.example.net:5060`.
 *
 * Global numbers (RFC 3966, and SIP URIs with `user=phone`) become `tel:+digits`; SIP and SIPS
 * URIs become `sip:user@host` (RFC 5630: sips only asks for TLS on the way) with the host
 * lower-cased and port and parameters dropped. Anything unparseable is returned trimmed.
 * `sip:+N@host` without `user=phone` stays a SIP URI: at another host it is another user
 * (see telAlias for consent).
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
  const isPhone = uri.params.some(([name, value]) => name.toLowerCase() === 'user' && value?.toLowerCase() === 'phone');
  if (user !== null && isPhone && user.startsWith('+')) {
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

/**
 * The `tel:` spelling a SIP URI whose user part is a global number may also stand for (IMS
 * routes `sip:+N@home-domain` and `tel:+N` to one user), or null. For consent only, where a
 * record under either spelling must be honoured: a check that holds for both is never looser.
 */
export function telAlias(identity: string): string | null {
  const uri = parseUri(identity.trim().replace(/^<(.*)>$/, '$1'));
  if (uri === null || uri.scheme === 'tel' || uri.user === null) {
    return null;
  }
  const user = decodeUserPart(uri.user).split(';')[0] ?? '';
  return /^\+[0-9][0-9\-.()]*$/.test(user) ? `tel:${telDigits(user)}` : null;
}
