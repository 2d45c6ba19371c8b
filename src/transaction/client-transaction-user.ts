/** The callbacks a TU gives for one client transaction (RFC 3261 17.1). */
import type { SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';

export interface ClientTransactionUser {
  /**
   * Provisional and final responses, once each; retransmissions are absorbed. `source` is where
   * the response came from: always the request's destination address (and, on TCP, its
   * connection), since the layer gives responses from anywhere else to `onStrayResponse`; on UDP
   * the port may differ from the destination's (RFC 3261 18.2.2).
   */
  onResponse(res: SipResponse, source: Endpoint): void;
  /** Timer B (INVITE) or F (non-INVITE) fired before a final response (17.1.1.2, 17.1.2.2). */
  onTimeout(): void;
  /** The transport could not send the request before a final response arrived (17.1.4). */
  onTransportError(error: Error): void;
  /** RFC 6026 7.2: a retransmitted 2xx arrived while Accepted: the TU must re-send its ACK. */
  onRetransmitted2xx?(res: SipResponse, source: Endpoint): void;
}
