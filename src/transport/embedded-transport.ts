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
 * (connection-gate.ts); each connection has a header deadline, an idle timeout and a bounded
 * write queue (stream-connection.ts). Dropped input is counted and summarised at most once an
 * interval (drop-summary.ts), never logged per datagram.
 */
import type { Buffer } from 'node:buffer';
import dgram from 'node:dgram';
import net from 'node:net';
import type { SipMessage } from '../sip/sip-message.ts';
import { SipParseError } from '../sip/sip-parse-error.ts';
import { parseSipMessage } from '../sip/sip-parser.ts';
import { encodeSipMessage } from '../sip/sip-serializer.ts';
import { annotateTopVia } from './annotate-via.ts';
import { ConnectionGate } from './connection-gate.ts';
import { DropSummariser, type DropSummary } from './drop-summary.ts';
import type { Endpoint } from './endpoint.ts';
import { endpointKey, hostKey, unbracket } from './endpoint.ts';
import { responseDestination } from './response-destination.ts';
import { salvageResponse } from './salvage-response.ts';
import type { InboundMessage, SipTransport } from './sip-transport.ts';
import { StreamConnection, type StreamConnectionEvents, type StreamLimits } from './stream-connection.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './stream-framer.ts';
import type { FramerEvent } from './stream-framer.ts';
import { readTopVia } from './top-via.ts';

export interface TransportErrorEvent {
  readonly kind: string;
  readonly detail: string;
  readonly source?: Endpoint;
}

export interface EmbeddedTransportOptions {
  readonly listen: readonly { transport: 'udp' | 'tcp' | 'tls'; host: string; port: number }[];
  /** Largest message accepted, default 65,535 bytes; see the module comment for what happens above it. */
  readonly maxMessageBytes?: number;
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
   * handshake) skips this check at accept (`acceptStream(socket, false)`) and applies its own;
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

const DEFAULT_IDLE_MS = 120_000;
const DEFAULT_HEADER_DEADLINE_MS = 10_000;
const DEFAULT_MAX_WRITE_QUEUE = 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 1024;
const DEFAULT_MAX_PER_SOURCE = 64;
const DEFAULT_DROP_SUMMARY_MS = 10_000;
const DEFAULT_UDP_RCVBUF = 4 * 1024 * 1024;
/** Outbound TCP connection attempts give up after this (well inside Timer B/F = 64*T1 = 32 s). */
const CONNECT_TIMEOUT_MS = 10_000;
/** After a framing error, the connection is destroyed if the peer has not closed it by then. */
const LINGER_MS = 2_000;
/** Bound on the remote-to-socket memo used when several UDP sockets share an address family. */
const MAX_UDP_MEMO = 65_536;

interface UdpListener {
  readonly socket: dgram.Socket;
  readonly endpoint: Endpoint;
  readonly family: 4 | 6;
}

interface TcpListener {
  readonly server: net.Server;
  readonly endpoint: Endpoint;
  readonly family: 4 | 6;
  /** Local address for outbound connections of that family, or undefined for a wildcard listener. */
  readonly localAddress: string | undefined;
}

function familyOf(address: string): 4 | 6 | 0 {
  const f = net.isIP(address);
  return f === 4 || f === 6 ? f : 0;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Datagrams that are not SIP and need no answer: CRLF-only keep-alives, and STUN (RFC 5389 6:
 * top two bits zero and the magic cookie 0x2112A442), used for keep-alive on UDP (RFC 5626 4.4.2).
 */
function isKeepAlive(buf: Buffer): boolean {
  if (buf.length >= 20 && (buf[0] ?? 0xff) < 0x40 && buf.readUInt32BE(4) === 0x2112a442) {
    return true;
  }
  for (const b of buf) {
    if (b !== 0x0d && b !== 0x0a) {
      return false;
    }
  }
  return true;
}

export class EmbeddedTransport implements SipTransport {
  private readonly options: EmbeddedTransportOptions;
  private readonly maxMessageBytes: number;
  private readonly streamLimits: StreamLimits;
  private readonly streamEvents: StreamConnectionEvents;
  private readonly gate: ConnectionGate;
  private readonly drops: DropSummariser;
  private dropTimer: NodeJS.Timeout | null = null;
  private readonly handlers: Array<(inbound: InboundMessage) => void> = [];
  private readonly udp: UdpListener[] = [];
  private readonly tcp: TcpListener[] = [];
  private endpoints: Endpoint[] = [];
  private readonly connections = new Map<string, StreamConnection>();
  /** Open connections by remote endpoint (endpointKey). */
  private readonly pool = new Map<string, StreamConnection>();
  private readonly connecting = new Map<string, Promise<StreamConnection>>();
  /**
   * Which UDP socket last heard from a remote, kept only when two UDP sockets share a family:
   * a response must leave from the socket the request arrived on (RFC 3581 4, symmetric response).
   */
  private udpMemo: Map<string, UdpListener> | null = null;
  private nextConnection = 1;
  private phase: 'new' | 'starting' | 'started' | 'closed' = 'new';

  constructor(options: EmbeddedTransportOptions) {
    this.options = options;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.streamLimits = {
      maxMessageBytes: this.maxMessageBytes,
      headerDeadlineMs: options.headerDeadlineMs ?? DEFAULT_HEADER_DEADLINE_MS,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_MS,
      maxWriteQueueBytes: options.maxWriteQueueBytes ?? DEFAULT_MAX_WRITE_QUEUE,
    };
    this.streamEvents = {
      onFramed: (conn, events) => this.onFramed(conn, events),
      onLimit: (conn, kind, detail) => this.drop(kind, detail, conn.remote),
      onSocketError: (conn, err) => this.report('connection-error', `${conn.id}: ${describe(err)}`, conn.remote),
      onInternalError: (conn, err) => this.report('internal-error', `${conn.id}: ${describe(err)}`, conn.remote),
      onClosed: (conn) => this.forget(conn),
    };
    this.gate = new ConnectionGate({
      maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      maxConnectionsPerSource: options.maxConnectionsPerSource ?? DEFAULT_MAX_PER_SOURCE,
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
    let queuedWriteBytes = 0;
    for (const conn of this.connections.values()) {
      queuedWriteBytes += conn.queuedBytes;
    }
    return { connections: this.connections.size, queuedWriteBytes };
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
        if (spec.transport === 'tls') {
          throw new Error(`cannot listen on tls:${spec.host}:${spec.port}: this transport has no TLS yet`);
        }
        endpoints.push(spec.transport === 'udp' ? await this.bindUdp(host, spec.port) : await this.listenTcp(host, spec.port));
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    this.endpoints = endpoints;
    const families = this.udp.map((l) => l.family);
    if (new Set(families).size !== families.length) {
      this.udpMemo = new Map();
    }
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
    for (const conn of this.connections.values()) {
      conn.socket.destroy();
    }
    const waits: Array<Promise<void>> = [];
    for (const l of this.udp) {
      waits.push(
        new Promise<void>((resolve) => {
          try {
            l.socket.close(() => resolve());
          } catch {
            resolve(); // already closed
          }
        }),
      );
    }
    for (const l of this.tcp) {
      waits.push(new Promise<void>((resolve) => l.server.close(() => resolve())));
    }
    this.udp.length = 0;
    this.tcp.length = 0;
    this.udpMemo = null;
    await Promise.all(waits);
  }

  async send(message: SipMessage, to: Endpoint, connectionId?: string | null): Promise<void> {
    if (this.phase !== 'started') {
      throw new Error('transport is not running');
    }
    const data = encodeSipMessage(message);
    if (to.transport === 'udp') {
      await this.sendDatagram(this.udpSocketFor(message, to), data, to);
      return;
    }
    let conn = connectionId === null || connectionId === undefined ? undefined : this.connections.get(connectionId);
    if (conn === undefined || !conn.usable) {
      const key = endpointKey(to);
      conn = this.pool.get(key);
      if (conn === undefined || !conn.usable) {
        conn = await this.connect(to, key, message);
      }
    }
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

  private async bindUdp(host: string, port: number): Promise<Endpoint> {
    const family = familyOf(host) === 6 ? 6 : 4;
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        try {
          socket.close();
        } catch {
          // never bound
        }
        reject(err);
      };
      socket.once('error', onError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(this.options.udpReceiveBufferBytes ?? DEFAULT_UDP_RCVBUF);
    } catch (err) {
      this.report('udp-buffer', `SO_RCVBUF not set: ${describe(err)}`);
    }
    const bound = socket.address();
    const listener: UdpListener = { socket, family, endpoint: { address: bound.address, port: bound.port, transport: 'udp' } };
    socket.on('error', (err) => this.report('udp-error', describe(err), listener.endpoint));
    socket.on('message', (buf, rinfo) => this.onDatagram(listener, buf, rinfo));
    this.udp.push(listener);
    return listener.endpoint;
  }

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
      if (this.udpMemo !== null) {
        if (this.udpMemo.size >= MAX_UDP_MEMO) {
          this.udpMemo.clear();
        }
        this.udpMemo.set(endpointKey(source), listener);
      }
      if (isKeepAlive(buf)) {
        return;
      }
      if (buf.length > this.maxMessageBytes) {
        this.refuseDatagram(listener, buf, 513, 'Message Too Large', source);
        return;
      }
      let message: SipMessage;
      try {
        message = parseSipMessage(buf);
      } catch (err) {
        if (!(err instanceof SipParseError)) {
          throw err;
        }
        this.refuseDatagram(listener, buf, err.status, err.message, source);
        return;
      }
      this.deliver(message, source, null);
    } catch (err) {
      this.report('internal-error', `UDP receive: ${describe(err)}`);
    }
  }

  private refuseDatagram(listener: UdpListener, buf: Buffer, status: number, reason: string, source: Endpoint): void {
    const res = this.errorResponse(buf, status, reason, source);
    if (res === null || res.kind !== 'response') {
      return;
    }
    const to = responseDestination(res, 'udp');
    const data = encodeSipMessage(res);
    this.sendDatagram(listener, data, to).catch((err: unknown) => this.report('send-error', describe(err), to));
  }

  /**
   * The socket a datagram leaves from: the only one of the destination's family; else, for a
   * response, the one the request came in on; for a request, the one its top Via names (where
   * the responses will come back, RFC 3261 18.1.1); else the first of the family.
   */
  private udpSocketFor(message: SipMessage, to: Endpoint): UdpListener {
    const family = familyOf(to.address);
    let first: UdpListener | undefined;
    let count = 0;
    for (const l of this.udp) {
      if (family === 0 || l.family === family) {
        first ??= l;
        count++;
      }
    }
    if (first === undefined) {
      throw new Error(`no UDP socket for ${to.address}`);
    }
    if (count === 1) {
      return first;
    }
    if (message.kind === 'response') {
      const memo = this.udpMemo?.get(endpointKey(to));
      if (memo !== undefined) {
        return memo;
      }
    } else {
      try {
        const { via } = readTopVia(message);
        const host = hostKey(via.host);
        const port = via.port ?? 5060;
        const named = this.udp.find((l) => l.endpoint.port === port && hostKey(l.endpoint.address) === host);
        if (named !== undefined && (family === 0 || named.family === family)) {
          return named;
        }
      } catch {
        // no usable Via: fall through
      }
    }
    return first;
  }

  private sendDatagram(listener: UdpListener, data: Buffer, to: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      listener.socket.send(data, to.port, to.address, (err) => {
        if (err) {
          reject(err);
        } else {
          resolve();
        }
      });
    });
  }

  // ---- TCP -------------------------------------------------------------------------------

  private async listenTcp(host: string, port: number): Promise<Endpoint> {
    const family = familyOf(host) === 6 ? 6 : 4;
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address();
    const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
    const boundAddress = typeof bound === 'object' && bound !== null ? bound.address : host;
    const listener: TcpListener = {
      server,
      family,
      endpoint: { address: boundAddress, port: boundPort, transport: 'tcp' },
      localAddress: isWildcard(boundAddress) || familyOf(boundAddress) === 0 ? undefined : boundAddress,
    };
    server.on('error', (err) => this.report('tcp-error', describe(err), listener.endpoint));
    server.on('connection', (socket) => {
      try {
        if (this.phase !== 'started') {
          socket.destroy();
          return;
        }
        this.acceptStream(socket, true);
      } catch (err) {
        this.report('internal-error', `TCP accept: ${describe(err)}`);
        socket.destroy();
      }
    });
    this.tcp.push(listener);
    return listener.endpoint;
  }

  /**
   * Admits a stream connection a listener accepted. `checkSource`: whether `admitSource`
   * decides now, before anything is read. A listener that recognises its peers after a
   * handshake (TLS, by certificate) passes false and applies its own check; the connection
   * caps apply either way.
   */
  private acceptStream(socket: net.Socket, checkSource: boolean): StreamConnection | null {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    if (address === undefined || port === undefined) {
      socket.destroy(); // closed before we got to it
      return null;
    }
    const remote: Endpoint = { address, port, transport: 'tcp' };
    if (checkSource && !this.admits(address)) {
      socket.destroy();
      this.drop('source-refused', `connection from ${address}:${port} closed at accept: no peer matches`, remote);
      return null;
    }
    const slot = this.gate.acquire(address);
    if (!slot.ok) {
      socket.destroy();
      this.drop(slot.kind, `connection from ${address}:${port} closed at accept: ${slot.detail}`, remote);
      return null;
    }
    return this.adopt(socket, remote, []);
  }

  /**
   * Takes over a connected socket whose gate slot is taken: framing, deadlines, bounded writes,
   * pool entries. The slot is given back when the socket closes (forget).
   */
  private adopt(socket: net.Socket, remote: Endpoint, keys: readonly string[]): StreamConnection {
    const remoteKey = endpointKey(remote);
    const conn = new StreamConnection({
      id: `tcp-${this.nextConnection++}`,
      socket,
      remote,
      keys: keys.includes(remoteKey) ? keys : [...keys, remoteKey],
      limits: this.streamLimits,
      events: this.streamEvents,
    });
    this.connections.set(conn.id, conn);
    for (const key of conn.keys) {
      this.pool.set(key, conn);
    }
    return conn;
  }

  private forget(conn: StreamConnection): void {
    if (this.connections.get(conn.id) !== conn) {
      return;
    }
    this.connections.delete(conn.id);
    this.gate.release(conn.remote.address);
    for (const key of conn.keys) {
      if (this.pool.get(key) === conn) {
        this.pool.delete(key);
      }
    }
  }

  /** One connection attempt per remote at a time; concurrent sends wait for it. */
  private connect(to: Endpoint, key: string, message: SipMessage): Promise<StreamConnection> {
    const pending = this.connecting.get(key);
    if (pending !== undefined) {
      return pending;
    }
    // Leave from the listen address the request's Via names (where its responses are expected);
    // otherwise the OS picks the source address, which always has a route to the destination.
    const family = familyOf(to.address);
    const localAddress = this.tcp.find((l) => l.family === family && l.localAddress !== undefined && this.namesListener(message, l))?.localAddress;
    const attempt = new Promise<StreamConnection>((resolve, reject) => {
      const socket = net.connect(localAddress === undefined ? { host: to.address, port: to.port } : { host: to.address, port: to.port, localAddress });
      const timer = setTimeout(() => socket.destroy(new Error(`connect to ${to.address}:${to.port} timed out`)), CONNECT_TIMEOUT_MS);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (this.phase !== 'started') {
          socket.destroy();
          reject(new Error('transport closed'));
          return;
        }
        const address = socket.remoteAddress;
        const port = socket.remotePort;
        if (address === undefined || port === undefined) {
          socket.destroy();
          reject(new Error(`connection to ${to.address}:${to.port} closed`));
          return;
        }
        // Outbound connections count against the same caps: both directions hold descriptors.
        const remote: Endpoint = { address, port, transport: 'tcp' };
        const slot = this.gate.acquire(address);
        if (!slot.ok) {
          socket.destroy();
          this.drop(slot.kind, `connection to ${to.address}:${to.port} not used: ${slot.detail}`, remote);
          reject(new Error(`connection to ${to.address}:${to.port} refused: ${slot.detail}`));
          return;
        }
        resolve(this.adopt(socket, remote, [key]));
      });
    });
    const tracked = attempt.finally(() => this.connecting.delete(key));
    this.connecting.set(key, tracked);
    return tracked;
  }

  /** True when a request's top Via names this listener (its responses come back there). */
  private namesListener(message: SipMessage, l: TcpListener): boolean {
    if (message.kind !== 'request') {
      return false;
    }
    try {
      return hostKey(readTopVia(message).via.host) === hostKey(l.endpoint.address);
    } catch {
      return false;
    }
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
        let message: SipMessage;
        try {
          message = parseSipMessage(event.data);
        } catch (err) {
          if (!(err instanceof SipParseError)) {
            throw err;
          }
          // The framing held, so the connection stays usable: answer and read on.
          const res = this.errorResponse(event.data, err.status, err.message, conn.remote);
          if (res !== null) {
            conn.write(encodeSipMessage(res)).catch((e: unknown) => this.report('send-error', describe(e), conn.remote));
          }
          return;
        }
        this.deliver(message, conn.remote, conn.id);
        return;
      }
    }
  }
}
