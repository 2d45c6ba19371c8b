/** The options and events of the embedded transport (embedded-transport.ts). */
import type { DropSummary } from './drop-summary.ts';
import type { MessageLimits } from '../sip/message-limits.ts';
import type { Endpoint } from './endpoint.ts';
import type { ReceiveScheduler } from './receive-scheduling.ts';
import type { TlsMaterial } from './tls-context.ts';

export interface TransportErrorEvent {
  readonly kind: string;
  readonly detail: string;
  readonly source?: Endpoint;
}

export interface EmbeddedTransportOptions {
  readonly listen: readonly { transport: 'udp' | 'tcp' | 'tls'; host: string; port: number }[];
  /** Largest message accepted, default 65,535 bytes; see the module comment for what happens above it. */
  readonly maxMessageBytes?: number;
  /** What the parser accepts (profile `limits.message`, read per message so a reload applies); default its defaults. */
  readonly messageLimits?: () => MessageLimits;
  /** Certificates for `tls` listen entries and TLS destinations (tls-context.ts); without it neither works. */
  readonly tls?: TlsMaterial;
  /** Runs the parsing and delivery of each received message now or later; see receive-scheduling.ts. Default: at once. */
  readonly schedule?: ReceiveScheduler;
  /** A TCP connection that completes no message (a keep-alive ping counts) for this long is closed; default 120,000 ms. */
  readonly idleTimeoutMs?: number;
  /** Once the first byte of a message is in, its start line and headers must be complete within this, or the connection is closed; default 10,000 ms. */
  readonly headerDeadlineMs?: number;
  /** Bytes queued for one TCP peer (pongs included) past which its connection is closed; default 1 MiB. */
  readonly maxWriteQueueBytes?: number;
  /** TCP connections open at once, accepted and opened alike; one more is closed at accept (an outbound one: its send rejects); default 1,024. */
  readonly maxConnections?: number;
  /** The same for one remote address; default 64. */
  readonly maxConnectionsPerSource?: number;
  /**
   * Whether a source address may talk to the guard at all (the profile's `unknown_peers: reject`
   * passes its peer directory here); absent: every source. Asked before anything is read: a
   * datagram from a refused source is dropped unparsed and unanswered (its source may be
   * spoofed), a TCP connection from one is closed at accept. What it throws counts as refused.
   * A stream listener that recognises its peers otherwise (TLS, by certificate after the
   * handshake) skips this check at accept (`StreamPool.accept(socket, false)`) and applies its own;
   * the connection caps apply to every stream connection all the same.
   */
  readonly admitSource?: (address: string) => boolean;
  /** Dropped input (the kinds in DROP_KINDS), summed up at most once per `dropSummaryIntervalMs`; called synchronously, what it throws is swallowed. */
  readonly onDropSummary?: (summary: DropSummary) => void;
  /** Default 10,000 ms. */
  readonly dropSummaryIntervalMs?: number;
  /** SO_RCVBUF for UDP sockets, default 4 MiB (bursts at 1,000 calls/s); ignored if the OS refuses. */
  readonly udpReceiveBufferBytes?: number;
  /**
   * Everything the transport absorbed instead of throwing, for logging. Kinds: `message-refused`
   * (a bad message was answered 400/505/513), `message-dropped` (not answerable: a response, an ACK,
   * no Via/Call-ID/CSeq), `framing-error` (TCP stream unreadable; the connection closes),
   * `connection-error`, `udp-error`, `tcp-error`, `send-error` (an error answer not sent),
   * `handler-error` (an onMessage handler threw), `udp-buffer`, `internal-error`; and the limits:
   * `source-refused` (admitSource said no), `connections-total-limit`, `connections-per-source-limit`,
   * `header-deadline`, `write-queue-full` (the connection was closed). The kinds in DROP_KINDS are
   * caused by what peers send and can come at flood rate: log them from `onDropSummary`, not here.
   * Called synchronously; what it throws is swallowed.
   */
  readonly onError?: (event: TransportErrorEvent) => void;
}

/** Event kinds that report input the transport refused or threw away; also counted in the drop summaries. */
export const DROP_KINDS: ReadonlySet<string> = new Set([
  'message-refused',
  'message-dropped',
  'framing-error',
  'source-refused',
  'connections-total-limit',
  'connections-per-source-limit',
  'header-deadline',
  'write-queue-full',
]);

/** What the transport holds now, for health checks and tests. */
export interface TransportStats {
  readonly connections: number;
  /** Bytes queued for TCP peers and not yet handed to the OS, over all connections. */
  readonly queuedWriteBytes: number;
}
