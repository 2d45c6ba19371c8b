/**
 * The SIP message model shared by every layer (RFC 3261 section 7).
 *
 * Headers keep their order and are stored one entry per header line as received
 * (a line may hold several comma-separated values: use `splitHeaderValues`).
 * Names are stored in their canonical long form ("v" becomes "Via").
 * The body is kept as the exact string that came in, so an SDP the guard does not
 * touch leaves byte for byte as it arrived.
 */
export interface SipHeader {
  readonly name: string;
  readonly value: string;
}

export interface SipRequest {
  readonly kind: 'request';
  method: string;
  uri: string;
  headers: SipHeader[];
  body: string;
}

export interface SipResponse {
  readonly kind: 'response';
  status: number;
  reason: string;
  headers: SipHeader[];
  body: string;
}

export type SipMessage = SipRequest | SipResponse;

/**
 * Requests that only a dialog or transaction already under way sends (RFC 3261 12.2, 9; RFC 3262):
 * under overload they are let in before new requests (src/front/fair-share.ts), which the sender
 * retransmits or is refused with 503.
 */
export const UNDER_WAY_METHODS: readonly string[] = ['ACK', 'BYE', 'CANCEL', 'PRACK'];
