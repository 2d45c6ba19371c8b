/**
 * The guard's own SIP transport layer (RFC 3261 18): UDP sockets, TCP and TLS servers and a
 * pool of TCP and TLS connections, message framing on streams, receive-side Via processing,
 * and answers to messages that cannot be parsed. Everything above it sees only parsed
 * messages. What is TLS-specific (handshakes, whose certificate may use which connection)
 * lives in tls-streams.ts and tls-identity.ts.
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
 */
import { Buffer } from 'node:buffer';
import dgram from 'node:dgram';
import net from 'node:net';
import type tls from 'node:tls';
import type { SipMessage } from '../sip/sip-message.ts';
import { SipParseError } from '../sip/sip-parse-error.ts';
import { parseSipMessage } from '../sip/sip-parser.ts';
import { encodeSipMessage } from '../sip/sip-serializer.ts';
import { annotateTopVia } from './annotate-via.ts';
import type { Endpoint } from './endpoint.ts';
import { endpointKey, hostKey, unbracket } from './endpoint.ts';
import { responseDestination } from './response-destination.ts';
import { salvageResponse } from './salvage-response.ts';
import type { InboundMessage, SipTransport } from './sip-transport.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, StreamFramer } from './stream-framer.ts';
import type { FramerEvent } from './stream-framer.ts';
import { readTopVia } from './top-via.ts';
import type { TlsMaterial } from './tls-context.ts';
import { aliasPort, verifiedNames } from './tls-identity.ts';
import { createTlsListener, openTlsSocket, tlsConnectionServes } from './tls-streams.ts';

export interface TransportErrorEvent {
  readonly kind: string;
  readonly detail: string;
  readonly source?: Endpoint;
}

export interface EmbeddedTransportOptions {
  readonly listen: readonly { transport: 'udp' | 'tcp' | 'tls'; host: string; port: number }[];
  /** Largest message accepted, default 65,535 bytes; see the module comment for what happens above it. */
  readonly maxMessageBytes?: number;
  /** A TCP connection with no traffic for this long is closed; default 120,000 ms. */
  readonly tcpIdleTimeoutMs?: number;
  /** SO_RCVBUF for UDP sockets, default 4 MiB (bursts at 1,000 calls/s); ignored if the OS refuses. */
  readonly udpReceiveBufferBytes?: number;
  /** Certificates for `tls` listen entries and TLS destinations (tls-context.ts); without it neither works. */
  readonly tls?: TlsMaterial;
  /**
   * Everything the transport absorbed instead of throwing, for logging. Kinds: `message-refused`
   * (a bad message was answered 400/505/513), `message-dropped` (not answerable: a response, an ACK,
   * no Via/Call-ID/CSeq), `framing-error` (TCP stream unreadable; the connection closes),
   * `connection-error`, `udp-error`, `tcp-error`, `send-error` (an error answer not sent),
   * `tls-refused` (a TLS handshake failed: no or an untrusted client certificate, wrong version),
   * `handler-error` (an onMessage handler threw), `udp-buffer`, `internal-error`.
   * Called synchronously; what it throws is swallowed.
   */
  readonly onError?: (event: TransportErrorEvent) => void;
}

const DEFAULT_IDLE_MS = 120_000;
const DEFAULT_UDP_RCVBUF = 4 * 1024 * 1024;
/** Outbound TCP connection attempts give up after this (well inside Timer B/F = 64*T1 = 32 s). */
const CONNECT_TIMEOUT_MS = 10_000;
/** A connection whose peer stops reading is dropped once this much is queued for it. */
const MAX_PENDING_WRITE = 4 * 1024 * 1024;
/** After a framing error, the connection is destroyed if the peer has not closed it by then. */
const LINGER_MS = 2_000;
/** Bound on the remote-to-socket memo used when several UDP sockets share an address family. */
const MAX_UDP_MEMO = 65_536;
/** RFC 5626 4.4.1: the pong answering a double-CRLF ping. */
const PONG = Buffer.from('\r\n');

interface UdpListener {
  readonly socket: dgram.Socket;
  readonly endpoint: Endpoint;
  readonly family: 4 | 6;
}

interface TcpListener {
  readonly server: net.Server;
  /** TLS listeners are TCP listeners whose sockets come out of a handshake. */
  readonly transport: 'tcp' | 'tls';
  readonly endpoint: Endpoint;
  readonly family: 4 | 6;
  /** Local address for outbound connections of that family, or undefined for a wildcard listener. */
  readonly localAddress: string | undefined;
}

interface Connection {
  readonly id: string;
  readonly socket: net.Socket;
  readonly framer: StreamFramer;
  readonly remote: Endpoint;
  /** Pool keys under which this connection is registered. */
  readonly keys: string[];
  /** Set after a framing error: the connection is being closed and takes no more sends. */
  closing: boolean;
  /** True for a connection the remote opened (accepted on a listener). */
  readonly accepted: boolean;
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
  private readonly handlers: Array<(inbound: InboundMessage) => void> = [];
  private readonly udp: UdpListener[] = [];
  private readonly tcp: TcpListener[] = [];
  private endpoints: Endpoint[] = [];
  private readonly connections = new Map<string, Connection>();
  /** Open connections by remote endpoint (endpointKey). */
  private readonly pool = new Map<string, Connection>();
  private readonly connecting = new Map<string, Promise<Connection>>();
  /** TLS connections their remote offered for reuse (RFC 5923 alias), for destinations their certificate names. */
  private readonly offered = new Set<Connection>();
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
  }

  get localEndpoints(): readonly Endpoint[] {
    return this.endpoints;
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
        endpoints.push(spec.transport === 'udp' ? await this.bindUdp(host, spec.port) : await this.listenTcp(host, spec.port, spec.transport));
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
    this.phase = 'started';
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') {
      return;
    }
    this.phase = 'closed';
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
    if (conn === undefined || !this.usable(conn)) {
      const key = endpointKey(to);
      conn = this.pool.get(key);
      if (conn === undefined || !this.usable(conn) || !this.serves(conn, to)) {
        conn = this.offeredFor(to) ?? (await this.connect(to, key, message));
      }
    }
    await this.write(conn, data);
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
      this.report('message-dropped', `${status} ${reason}: no response possible`, source);
      return null;
    }
    annotateTopVia(res, source);
    this.report('message-refused', `answered ${status}: ${reason}`, source);
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

  private async listenTcp(host: string, port: number, transport: 'tcp' | 'tls'): Promise<Endpoint> {
    const family = familyOf(host) === 6 ? 6 : 4;
    const server = transport === 'tls' ? this.tlsListener() : net.createServer();
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
      transport,
      family,
      endpoint: { address: boundAddress, port: boundPort, transport },
      localAddress: isWildcard(boundAddress) || familyOf(boundAddress) === 0 ? undefined : boundAddress,
    };
    server.on('error', (err) => this.report('tcp-error', describe(err), listener.endpoint));
    server.on(transport === 'tls' ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      try {
        if (this.phase !== 'started') {
          socket.destroy();
          return;
        }
        this.adopt(socket, [], transport, true);
      } catch (err) {
        this.report('internal-error', `TCP accept: ${describe(err)}`);
        socket.destroy();
      }
    });
    this.tcp.push(listener);
    return listener.endpoint;
  }

  private tlsMaterial(): TlsMaterial {
    if (this.options.tls === undefined) {
      throw new Error('TLS needs sip.tls (certificate, key, ca)');
    }
    return this.options.tls;
  }

  /** A TLS server whose refused handshakes are reported; its completed ones are adopted by listenTcp. */
  private tlsListener(): tls.Server {
    return createTlsListener(this.tlsMaterial(), (reason, remote) => this.report('tls-refused', reason, remote));
  }

  /** Whether a pooled connection may carry a message to `to` (TLS: its certificate must name the destination). */
  private serves(conn: Connection, to: Endpoint): boolean {
    if (to.transport !== 'tls') {
      return true;
    }
    return tlsConnectionServes(conn.socket as tls.TLSSocket, conn.accepted, endpointKey(conn.remote) === endpointKey(to), to);
  }

  /** RFC 5923: a TLS request with `alias` in its Via also registers its connection under its sent-by port. */
  private aliasConnection(conn: Connection, message: SipMessage): void {
    if (conn.remote.transport !== 'tls') {
      return;
    }
    const port = aliasPort(message, conn.socket as tls.TLSSocket, conn.remote.address);
    if (port === null) {
      return;
    }
    const key = endpointKey({ address: conn.remote.address, port, transport: 'tls' });
    if (!conn.keys.includes(key)) {
      conn.keys.push(key);
    }
    this.pool.set(key, conn);
    this.offered.add(conn);
  }

  /**
   * An offered TLS connection whose certificate names `to`'s host: the peer is who its
   * certificate says, wherever it connected from (behind NAT its address is not its uri's).
   */
  private offeredFor(to: Endpoint): Connection | undefined {
    if (to.transport !== 'tls' || to.serverName === undefined) {
      return undefined;
    }
    for (const conn of this.offered) {
      if (this.usable(conn) && this.serves(conn, to)) {
        return conn;
      }
    }
    return undefined;
  }

  private usable(conn: Connection): boolean {
    return !conn.closing && !conn.socket.destroyed && conn.socket.writable;
  }

  /** Takes over a connected socket: framing, idle timeout, error and close handling, pool entries. */
  private adopt(socket: net.Socket, keys: string[], transport: 'tcp' | 'tls', accepted: boolean): Connection | null {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    if (address === undefined || port === undefined) {
      socket.destroy(); // closed before we got to it
      return null;
    }
    const names = transport === 'tls' ? verifiedNames(socket as tls.TLSSocket) : undefined;
    const remote: Endpoint = names === undefined ? { address, port, transport } : { address, port, transport, tlsNames: names };
    const remoteKey = endpointKey(remote);
    const conn: Connection = {
      id: `${transport}-${this.nextConnection++}`,
      socket,
      framer: new StreamFramer({ maxMessageBytes: this.maxMessageBytes }),
      remote,
      keys: keys.includes(remoteKey) ? keys : [...keys, remoteKey],
      closing: false,
      accepted,
    };
    this.connections.set(conn.id, conn);
    for (const key of conn.keys) {
      this.pool.set(key, conn);
    }
    socket.setNoDelay(true);
    socket.setTimeout(this.options.tcpIdleTimeoutMs ?? DEFAULT_IDLE_MS);
    socket.on('data', (chunk: Buffer) => this.onStreamData(conn, chunk));
    socket.on('timeout', () => socket.destroy());
    socket.on('error', (err) => this.report('connection-error', `${conn.id}: ${describe(err)}`, remote));
    socket.on('close', () => this.forget(conn));
    return conn;
  }

  private forget(conn: Connection): void {
    this.connections.delete(conn.id);
    this.offered.delete(conn);
    for (const key of conn.keys) {
      if (this.pool.get(key) === conn) {
        this.pool.delete(key);
      }
    }
  }

  /** One connection attempt per remote at a time; concurrent sends wait for it. */
  private connect(to: Endpoint, key: string, message: SipMessage): Promise<Connection> {
    // Over TLS one attempt per remote and name: a connection verified for one name serves no other.
    const attemptKey = to.transport === 'tls' ? `${key}|${to.serverName ?? ''}` : key;
    const pending = this.connecting.get(attemptKey);
    if (pending !== undefined) {
      return pending;
    }
    // Leave from the listen address the request's Via names (where its responses are expected);
    // otherwise the OS picks the source address, which always has a route to the destination.
    const family = familyOf(to.address);
    const transport = to.transport === 'tls' ? 'tls' : 'tcp';
    const localAddress = this.tcp.find(
      (l) => l.transport === transport && l.family === family && l.localAddress !== undefined && this.namesListener(message, l),
    )?.localAddress;
    const attempt = new Promise<Connection>((resolve, reject) => {
      const socket =
        transport === 'tls'
          ? openTlsSocket(to, localAddress, this.tlsMaterial())
          : net.connect(localAddress === undefined ? { host: to.address, port: to.port } : { host: to.address, port: to.port, localAddress });
      const timer = setTimeout(() => socket.destroy(new Error(`connect to ${to.address}:${to.port} timed out`)), CONNECT_TIMEOUT_MS);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once(transport === 'tls' ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (this.phase !== 'started') {
          socket.destroy();
          reject(new Error('transport closed'));
          return;
        }
        const conn = this.adopt(socket, [key], transport, false);
        if (conn === null) {
          reject(new Error(`connection to ${to.address}:${to.port} closed`));
        } else {
          resolve(conn);
        }
      });
    });
    const tracked = attempt.finally(() => this.connecting.delete(attemptKey));
    this.connecting.set(attemptKey, tracked);
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

  private write(conn: Connection, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = conn.socket;
      if (!this.usable(conn)) {
        reject(new Error(`${conn.id} is closed`));
        return;
      }
      if (socket.writableLength > MAX_PENDING_WRITE) {
        socket.destroy();
        reject(new Error(`${conn.id}: peer is not reading, connection dropped`));
        return;
      }
      socket.write(data, (err) => {
        if (err) {
          reject(err);
        } else {
          resolve();
        }
      });
    });
  }

  private onStreamData(conn: Connection, chunk: Buffer): void {
    try {
      const events = conn.framer.push(chunk);
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

  private onStreamEvent(conn: Connection, event: FramerEvent): void {
    switch (event.kind) {
      case 'ping':
        conn.socket.write(PONG);
        return;
      case 'error': {
        this.report('framing-error', `${conn.id}: ${event.reason}`, conn.remote);
        conn.closing = true;
        const res = event.head === null ? null : this.errorResponse(event.head, event.status, event.reason, conn.remote);
        if (res === null) {
          conn.socket.end();
        } else {
          conn.socket.end(encodeSipMessage(res));
        }
        setTimeout(() => conn.socket.destroy(), LINGER_MS).unref();
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
            this.write(conn, encodeSipMessage(res)).catch((e: unknown) =>
              this.report('send-error', describe(e), conn.remote),
            );
          }
          return;
        }
        this.aliasConnection(conn, message);
        this.deliver(message, conn.remote, conn.id);
        return;
      }
    }
  }
}
