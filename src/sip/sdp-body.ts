import type { SipMessage } from './sip-message.ts';
import { getHeader } from './sip-headers.ts';

/** True when the message carries a single SDP body (RFC 3264 offers and answers). */
export function isSdpBody(msg: SipMessage): boolean {
  if (msg.body.length === 0) {
    return false;
  }
  const type = getHeader(msg, 'Content-Type');
  return type !== undefined && /^\s*application\/sdp\s*(;|$)/i.test(type);
}
