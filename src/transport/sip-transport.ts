/**
 * The contract between the transport layer (RFC 3261 18) and everything above it. The
 * transaction layer is written against this interface only, so its tests run on a fake.
 */
import type { SipMessage } from '../sip/sip-message.ts';
import type { Endpoint } from './endpoint.ts';

export interface InboundMessage {
  readonly message: SipMessage;
  readonly source: Endpoint;
  /** TCP connection it arrived on (responses to it go back on it), or null for UDP. */
  readonly connectionId: string | null;
}

export interface SipTransport {
  /** Binds every listen address; rejects if any bind fails. */
  start(): Promise<void>;
  /** Stops accepting; closes sockets and connections. */
  close(): Promise<void>;
  /**
   * Serializes and sends. TCP: uses `connectionId` when given and open, else an open connection
   * to `to`, else connects. Rejects on failure (the transaction layer turns that into a
   * transport error, RFC 3261 17.1.4 / 17.2.4).
   */
  send(message: SipMessage, to: Endpoint, connectionId?: string | null): Promise<void>;
  /**
   * The only way inbound messages leave the transport: already parsed, top Via already
   * annotated (received/rport, RFC 3261 18.2.1 + RFC 3581).
   */
  onMessage(handler: (inbound: InboundMessage) => void): void;
  /** The local endpoints actually bound (port 0 resolved), in listen order. */
  readonly localEndpoints: readonly Endpoint[];
}
