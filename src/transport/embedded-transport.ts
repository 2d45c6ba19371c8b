/**
 * The guard's own SIP transport layer (RFC 3261 18): UDP sockets, a TCP server and a pool of
 * TCP connections, message framing on streams, receive-side Via processing, and answers to
 * messages that cannot be parsed. Everything above it sees only parsed messages.
 *
 * Robustness rules: no socket handler throws (every handler body is caught and reported via
 * `onError`), no bad input stalls a socket or connection (a malformed message is answered and
 * the next one is read), and anything that ends the stream position (a framing error) closes
 * only that connection.
 *
 * Oversize messages (larger than `maxMessageBytes`): a UDP datagram is answered with 513
 * Message Too Large when a request's Via, Call-ID and CSeq can be read from it, else dropped;
 * on TCP the body is never read, the request is answered with 513 when its header section
 * was readable, and the connection is closed (RFC 3261 18.1.1 / 21.5.14), since skipping an
 * arbitrarily large body would let a peer make the guard read it.
 *
 * Abuse limits (the profile's `limits.transport`): sources refused by `admitSource` are dropped
 * before anything is parsed; stream connections are capped per remote address and in all
 * (stream-pool.ts, connection-gate.ts); each connection has a header deadline, an idle timeout
 * and a bounded write queue (stream-connection.ts). Dropped input is counted and summarised at
 * most once an interval (drop-summary.ts), never logged per datagram. UDP sockets: udp-sockets.ts.
 */
import type { Buffer } from 'node:buffer';
import type dgram from 'node:dgram';
import type { SipMessage } from '../sip/sip-message.ts';
import { SipParseError } from '../sip/sip-parse-error.ts';
import { parseSipMessage } from '../sip/sip-parser.ts';
import { encodeSipMessage } from '../sip/sip-serializer.ts';
import { annotateTopVia } from './annotate-via.ts';
import { DropSummariser } from './drop-summary.ts';
import type { EmbeddedTransportOptions, TransportStats } from './embedded-transport-options.ts';
import type { Endpoint } from './endpoint.ts';
import { endpointKey, unbracket } from './endpoint.ts';
import { responseDestination } from './response-destination.ts';
import { salvageResponse } from './salvage-response.ts';
import type { InboundMessage, SipTransport } from './sip-transport.ts';
import { describe } from './socket-facts.ts';
import type { StreamConnection } from './stream-connection.ts';
import { listenStream, localAddressFor, type StreamListener } from './stream-listeners.ts';
import { StreamPool } from './stream-pool.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './stream-framer.ts';
import type { FramerEvent } from './stream-framer.ts';
import { scheduleReceive } from './receive-scheduling.ts';
import { UdpSockets, isUdpKeepAlive, type UdpListener } from './udp-sockets.ts';

export { DROP_KINDS } from './embedded-transport-options.ts';
export type { EmbeddedTransportOptions, TransportErrorEvent, TransportStats } from './embedded-transport-options.ts';

const DEFAULT_IDLE_MS = 120_000;
const DEFAULT_HEADER_DEADLINE_MS = 10_000;
const DEFAULT_MAX_WRITE_QUEUE = 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 1024;
const DEFAULT_MAX_PER_SOURCE = 64;
const DEFAULT_DROP_SUMMARY_MS = 10_000;
const DEFAULT_UDP_RCVBUF = 4 * 1024 * 1024;
/** After a framing error, the connection is destroyed if the peer has not closed it by then. */
const LINGER_MS = 2_000;


export class EmbeddedTransport implements SipTransport {
  private readonly options: EmbeddedTransportOptions;
  private readonly maxMessageBytes: number;
  private readonly streams: StreamPool;
  private readonly drops: DropSummariser;
  private dropTimer: NodeJS.Timeout | null = null;
  private readonly handlers: Array<(inbound: InboundMessage) => void> = [];
  private readonly udp: UdpSockets;
  private readonly tcp: StreamListener[] = [];
  private endpoints: Endpoint[] = [];
  private phase: 'new' | 'starting' | 'started' | 'closed' = 'new';

  constructor(options: EmbeddedTransportOptions) {
    this.options = options;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.udp = new UdpSockets({
      receiveBufferBytes: options.udpReceiveBufferBytes ?? DEFAULT_UDP_RCVBUF,
      onDatagram: (listener, buf, rinfo) => this.onDatagram(listener, buf, rinfo),
      onError: (kind, detail, endpoint) => this.report(kind, detail, endpoint),
    });
    this.streams = new StreamPool({
      caps: {
        maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
        maxConnectionsPerSource: options.maxConnectionsPerSource ?? DEFAULT_MAX_PER_SOURCE,
      },
      limits: {
        maxMessageBytes: this.maxMessageBytes,
        headerDeadlineMs: options.headerDeadlineMs ?? DEFAULT_HEADER_DEADLINE_MS,
        idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_MS,
        maxWriteQueueBytes: options.maxWriteQueueBytes ?? DEFAULT_MAX_WRITE_QUEUE,
      },
      onFramed: (conn, events) => this.onFramed(conn, events),
      admits: (address) => this.admits(address),
      drop: (kind, detail, source) => this.drop(kind, detail, source),
      report: (kind, detail, source) => this.report(kind, detail, source),
      running: () => this.phase === 'started',
      tls: () => options.tls,
    });
    const onDropSummary = options.onDropSummary;
    this.drops = new DropSummariser({
      intervalMs: options.dropSummaryIntervalMs ?? DEFAULT_DROP_SUMMARY_MS,
      now: () => performance.now(),
      emit: (summary) => onDropSummary?.(summary),
    });
  }

  get localEndpoints(): readonly Endpoint[] {
    return this.endpoints;
  }

  stats(): TransportStats {
    return this.streams.stats();
  }

  onMessage(handler: (inbound: InboundMessage) => void): void {
    this.handlers.push(handler);
  }

  async start(): Promise<void> {
    if (this.phase !== 'new') {
      throw new Error(`transport cannot start: it is ${this.phase}`);
    }
    this.phase = 'starting';
    const endpoints: Endpoint[] = [];
    try {
      for (const spec of this.options.listen) {
        const host = unbracket(spec.host);
        endpoints.push(spec.transport === 'udp' ? await this.udp.bind(host, spec.port) : await this.listenStream(host, spec.port, spec.transport));
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    this.endpoints = endpoints;
    this.udp.ready();
    const interval = this.options.dropSummaryIntervalMs ?? DEFAULT_DROP_SUMMARY_MS;
    this.dropTimer = setInterval(() => this.drops.tick(), interval);
    this.dropTimer.unref();
    this.phase = 'started';
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') {
      return;
    }
    this.phase = 'closed';
    if (this.dropTimer !== null) {
      clearInterval(this.dropTimer);
      this.dropTimer = null;
    }
    this.drops.flush();
    this.streams.closeAll();
    const waits: Array<Promise<void>> = [this.udp.close()];
    for (const l of this.tcp) {
      waits.push(new Promise<void>((resolve) => l.server.close(() => resolve())));
    }
    this.tcp.length = 0;
    await Promise.all(waits);
  }

  async send(message: SipMessage, to: Endpoint, connectionId?: string | null): Promise<void> {
    if (this.phase !== 'started') {
      throw new Error('transport is not running');
    }
    const data = encodeSipMessage(message);
    if (to.transport === 'udp') {
      await this.udp.send(this.udp.socketFor(message, to), data, to);
      return;
    }
    const key = endpointKey(to);
    const conn =
      this.streams.usable(connectionId, key, to) ?? this.streams.offeredFor(to) ?? (await this.streams.connect(to, key, localAddressFor(this.tcp, message, to)));
    await conn.write(data);
  }

  // ---- reporting -------------------------------------------------------------------------

  private report(kind: string, detail: string, source?: Endpoint): void {
    const onError = this.options.onError;
    if (onError === undefined) {
      return;
    }
    try {
      onError(source === undefined ? { kind, detail } : { kind, detail, source });
    } catch {
      // a failing logger must not take a socket down
    }
  }

  /** Input refused or thrown away: counted for the summary, and reported like any event. */
  private drop(kind: string, detail: string, source?: Endpoint): void {
    this.drops.note(kind, source === undefined ? undefined : `${source.transport} ${source.address}:${source.port}`);
    this.report(kind, detail, source);
  }

  /** The admitSource verdict; a predicate that throws refuses (fail closed). */
  private admits(address: string): boolean {
    const admit = this.options.admitSource;
    if (admit === undefined) {
      return true;
    }
    try {
      return admit(address);
    } catch (err) {
      this.report('internal-error', `admitSource: ${describe(err)}`);
      return false;
    }
  }

  private deliver(message: SipMessage, source: Endpoint, connectionId: string | null): void {
    if (message.kind === 'request') {
      annotateTopVia(message, source);
    }
    const inbound: InboundMessage = { message, source, connectionId };
    for (const handler of this.handlers) {
      try {
        handler(inbound);
      } catch (err) {
        this.report('handler-error', describe(err), source);
      }
    }
  }

  /**
   * The answer to a request that failed to parse or frame: `status` built from salvaged headers,
   * or nothing (null) when the message is a response, an ACK, or too broken to answer.
   */
  private errorResponse(raw: Buffer, status: number, reason: string, source: Endpoint): SipMessage | null {
    const res = salvageResponse(raw.toString('utf8'), status, reason);
    if (res === null) {
      this.drop('message-dropped', `${status} ${reason}: no response possible`, source);
      return null;
    }
    annotateTopVia(res, source);
    this.drop('message-refused', `answered ${status}: ${reason}`, source);
    return res;
  }

  // ---- UDP -------------------------------------------------------------------------------

  private onDatagram(listener: UdpListener, buf: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      if (this.phase !== 'started') {
        return;
      }
      const source: Endpoint = { address: rinfo.address, port: rinfo.port, transport: 'udp' };
      if (!this.admits(rinfo.address)) {
        this.drop('source-refused', `datagram of ${buf.length} bytes: no peer matches ${rinfo.address}`, source);
        return;
      }
      this.udp.remember(listener, source);
      if (isUdpKeepAlive(buf)) {
        return;
      }
      if (buf.length > this.maxMessageBytes) {
        this.refuseDatagram(listener, buf, 513, 'Message Too Large', source);
        return;
      }
      scheduleReceive(this.options.schedule, source, () => {
        if (this.phase !== 'started') {
          return;
        }
        const message = this.parse(buf, (status, reason) => this.refuseDatagram(listener, buf, status, reason, source));
        if (message !== null) {
          this.deliver(message, source, null);
        }
      }, { raw: buf, reply: null, failed: (err) => this.report('internal-error', `UDP receive: ${describe(err)}`, source) });
    } catch (err) {
      this.report('internal-error', `UDP receive: ${describe(err)}`);
    }
  }

  /** The message in `raw` under the current limits, or null after `refuse` was told why not. */
  private parse(raw: Buffer, refuse: (status: number, reason: string) => void): SipMessage | null {
    try {
      return parseSipMessage(raw, this.options.messageLimits?.());
    } catch (err) {
      if (!(err instanceof SipParseError)) {
        throw err;
      }
      refuse(err.status, err.message);
      return null;
    }
  }

  private refuseDatagram(listener: UdpListener, buf: Buffer, status: number, reason: string, source: Endpoint): void {
    const res = this.errorResponse(buf, status, reason, source);
    if (res === null || res.kind !== 'response') {
      return;
    }
    const to = responseDestination(res, 'udp');
    const data = encodeSipMessage(res);
    this.udp.send(listener, data, to).catch((err: unknown) => this.report('send-error', describe(err), to));
  }

  // ---- TCP -------------------------------------------------------------------------------

  private async listenStream(host: string, port: number, transport: 'tcp' | 'tls'): Promise<Endpoint> {
    const listener = await listenStream(host, port, transport, this.options.tls, {
      onConnection: (socket) => {
        if (this.phase !== 'started') {
          socket.destroy();
          return;
        }
        // TLS recognises its peers by certificate, after the handshake: admitSource is the controller's there.
        this.streams.accept(socket, transport === 'tcp', transport);
      },
      onRawTlsConnection: (raw) => {
        if (this.phase !== 'started') {
          raw.destroy();
          return false;
        }
        return this.streams.reserve(raw);
      },
      report: (kind, detail, source) => this.report(kind, detail, source),
    });
    this.tcp.push(listener);
    return listener.endpoint;
  }

  /** What a chunk completed on a connection (pings are answered by the connection itself). */
  private onFramed(conn: StreamConnection, events: readonly FramerEvent[]): void {
    try {
      for (const event of events) {
        if (this.phase !== 'started' || conn.socket.destroyed) {
          return;
        }
        this.onStreamEvent(conn, event);
      }
    } catch (err) {
      this.report('internal-error', `${conn.id}: ${describe(err)}`, conn.remote);
      conn.socket.destroy();
    }
  }

  private onStreamEvent(conn: StreamConnection, event: FramerEvent): void {
    switch (event.kind) {
      case 'ping':
        return;
      case 'error': {
        this.drop('framing-error', `${conn.id}: ${event.reason}`, conn.remote);
        const res = event.head === null ? null : this.errorResponse(event.head, event.status, event.reason, conn.remote);
        conn.finish(res === null ? null : encodeSipMessage(res), LINGER_MS);
        return;
      }
      case 'message': {
        scheduleReceive(this.options.schedule, conn.remote, () => {
          if (this.phase !== 'started' || conn.socket.destroyed) {
            return;
          }
          // Unparseable, the framing still held: the connection stays usable, answer and read on.
          const message = this.parse(event.data, (status, reason) => {
            const res = this.errorResponse(event.data, status, reason, conn.remote);
            if (res !== null) {
              conn.write(encodeSipMessage(res)).catch((e: unknown) => this.report('send-error', describe(e), conn.remote));
            }
          });
          if (message !== null) {
            this.streams.aliasConnection(conn, message);
            this.deliver(message, conn.remote, conn.id);
          }
        }, {
          raw: event.data,
          reply: (res) => void conn.write(encodeSipMessage(res)).catch((e: unknown) => this.report('send-error', describe(e), conn.remote)),
          failed: (err) => this.report('internal-error', `receive: ${describe(err)}`, conn.remote),
        });
        return;
      }
    }
  }
}
