import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthCheck = { readonly ok: true } | { readonly ok: false; readonly status: 401 | 403; readonly error: string };

/**
 * `Authorization: Bearer <token>` (RFC 6750) against the token the operator set. No token set
 * (variable unset or empty): every state-changing request is refused, 403, so an admin port
 * is never open by accident. Compared as SHA-256 digests with timingSafeEqual: the time taken
 * says nothing about the token, not even its length.
 */
export function checkBearer(authorization: string | undefined, expected: string | undefined, tokenEnv: string): AuthCheck {
  if (expected === undefined || expected === '') {
    return { ok: false, status: 403, error: `refused: no admin token is configured (set ${tokenEnv})` };
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  if (match === null) {
    return { ok: false, status: 401, error: 'missing bearer token (Authorization: Bearer <token>)' };
  }
  const given = createHash('sha256').update(match[1] ?? '').digest();
  const wanted = createHash('sha256').update(expected).digest();
  return timingSafeEqual(given, wanted) ? { ok: true } : { ok: false, status: 401, error: 'wrong bearer token' };
}
