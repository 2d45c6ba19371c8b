/** The transaction user (RFC 3261 17: the UA core or, here, the B2BUA front end) as the server side sees it. */
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import type { ServerTransaction } from './server-transaction.ts';

export interface TransactionUser {
  /**
   * A new request (not ACK), with its server transaction (INVITE: `100 Trying` already sent).
   * CANCEL arrives here too in its own transaction. Retransmissions never reach the TU.
   */
  onRequest(req: SipRequest, txn: ServerTransaction): void;
  /** An ACK for a 2xx (end-to-end, no transaction; RFC 3261 17.1.1.3 / 13.2.2.4). ACKs for non-2xx are absorbed by their INVITE server transaction. */
  onAck(req: SipRequest, source: Endpoint): void;
  /**
   * A response matching no client transaction (e.g. a 2xx retransmitted after Timer M), or
   * matching one by branch but not from where its request went (reported as
   * `wrong-source-response`: forged, or misrouted), with the source it came from.
   */
  onStrayResponse?(res: SipResponse, source: Endpoint): void;
  /** A 2xx to INVITE was never ACKed (Timer L). */
  onAckTimeout?(txn: ServerTransaction): void;
}
