/** A server transaction as the TU sees it (RFC 3261 17.2). */
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';

export interface ServerTransaction {
  readonly id: string;
  readonly request: SipRequest;
  readonly source: Endpoint;
  readonly connectionId: string | null;
  /**
   * Sends a response in this transaction (state machine rules apply: a response the state does
   * not allow, e.g. a second final, is refused and reported). A 2xx to INVITE enters RFC 6026
   * Accepted and is retransmitted T1..T2 on UDP until the ACK arrives or Timer L fires.
   */
  respond(res: SipResponse): void;
}
