import { nameAddrUri } from '../sip/name-addr.ts';
import { getHeader, getHeaderValues } from '../sip/sip-headers.ts';
import type { SipRequest } from '../sip/sip-message.ts';
import { telAlias } from '../sip/normalise-identity.ts';

/** Served users for consent: P-Served-User from a trusted peer, else both parties (asserted identity first). */
export function servedUsersOf(req: SipRequest, senderTrusted: boolean): string[] {
  const uriOf = nameAddrUri;
  if (senderTrusted) {
    const served = uriOf(getHeaderValues(req, 'P-Served-User')[0]);
    if (served !== null) {
      return [served];
    }
  }
  const caller = uriOf(getHeaderValues(req, 'P-Asserted-Identity')[0]) ?? uriOf(getHeader(req, 'From'));
  const callee = /^(sips?|tel):/i.test(req.uri) ? req.uri : uriOf(getHeader(req, 'To'));
  const users = [caller, callee].filter((u): u is string => u !== null);
  // `sip:+N@host` without user=phone is checked as `tel:+N` too: an AS that leaves the
  // parameter out must not miss the user's consent record (every served user must consent).
  return [...users, ...users.map(telAlias).filter((u): u is string => u !== null && !users.includes(u))];
}
