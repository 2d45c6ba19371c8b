/**
 * The stream (TCP and TLS) connections of the embedded transport, accepted and opened alike:
 * each one takes a slot of the connection caps (connection-gate.ts) before it is used, is
 * registered under its connection id and remote endpoint for reuse, and gives its slot back
 * when it closes. What the framed bytes mean is the transport's business (`onFramed`).
 *
 * TLS: a connection carries a message only to a destination its verified certificate names
 * (tls-streams.ts); one the remote offered with `alias` (RFC 5923) also serves requests toward
 * its sent-by and, when its certificate names it, toward that peer from wherever it connected.
 */
import net from 'node:net';
import type tls from 'node:tls';
import type { SipMessage } from '../sip/sip-message.ts';
import { ConnectionGate, type ConnectionCaps } from './connection-gate.ts';
import type { TransportStats } from './embedded-transport-options.ts';
import type { Endpoint } from './endpoint.ts';
import { endpointKey } from './endpoint.ts';
import { describe } from './socket-facts.ts';
import { StreamConnection, type StreamConnectionEvents, type StreamLimits } from './stream-connection.ts';
import type { TlsMaterial } from './tls-context.ts';
import { aliasPort, verifiedNames } from './tls-identity.ts';
import { openTlsSocket, tlsConnectionServes } from './tls-streams.ts';

export interface StreamPoolOptions {
  readonly caps: ConnectionCaps;
  readonly limits: StreamLimits;
  readonly onFramed: StreamConnectionEvents['onFramed'];
  /** The transport's admitSource verdict (fail closed). */
  readonly admits: (address: string) => boolean;
  /** Input refused: counted and reported. */
  readonly drop: (kind: string, detail: string, source: Endpoint) => void;
  readonly report: (kind: string, detail: string, source?: Endpoint) => void;
  /** False once the transport is closing: a connection that completes then is not used. */
  readonly running: () => boolean;
  /** The certificates for TLS connections, when the profile has sip.tls. */
  readonly tls: () => TlsMaterial | undefined;
}

/** Outbound TCP connection attempts give up after this (well inside Timer B/F = 64*T1 = 32 s). */
const CONNECT_TIMEOUT_MS = 10_000;

export class StreamPool {
  readonly #options: StreamPoolOptions;
  readonly #gate: ConnectionGate;
  readonly #events: StreamConnectionEvents;
  readonly #connections = new Map<string, StreamConnection>();
  /** Open connections by remote endpoint (endpointKey). */
  readonly #byRemote = new Map<string, StreamConnection>();
  readonly #connecting = new Map<string, Promise<StreamConnection>>();
  /** Connections the remote opened (accepted on a listener). */
  readonly #accepted = new WeakSet<StreamConnection>();
  /** TLS connections whose slot their raw socket holds from before the handshake (see reserve). */
  readonly #reserved = new WeakSet<StreamConnection>();
  /** TLS connections their remote offered for reuse (RFC 5923 alias), and the keys that offer added. */
  readonly #offered = new Map<StreamConnection, string[]>();
  #next = 1;

  constructor(options: StreamPoolOptions) {
    this.#options = options;
    this.#gate = new ConnectionGate(options.caps);
    this.#events = {
      onFramed: options.onFramed,
      onLimit: (conn, kind, detail) => options.drop(kind, detail, conn.remote),
      onSocketError: (conn, err) => options.report('connection-error', `${conn.id}: ${describe(err)}`, conn.remote),
      onInternalError: (conn, err) => options.report('internal-error', `${conn.id}: ${describe(err)}`, conn.remote),
      onClosed: (conn) => this.#forget(conn),
    };
  }

  stats(): TransportStats {
    let queuedWriteBytes = 0;
    for (const conn of this.#connections.values()) {
      queuedWriteBytes += conn.queuedBytes;
    }
    return { connections: this.#connections.size, queuedWriteBytes };
  }

  /**
   * The connection `id` if it still takes sends (a response goes back on its request's
   * connection, RFC 3261 18.2.2), else an open one to the remote `key`, else undefined; over
   * TLS only one that may carry a message to `to` (its certificate names it).
   */
  usable(id: string | null | undefined, key: string, to: Endpoint): StreamConnection | undefined {
    const byId = id === null || id === undefined ? undefined : this.#connections.get(id);
    if (byId?.usable === true) {
      return byId;
    }
    const byRemote = this.#byRemote.get(key);
    return byRemote?.usable === true && this.#serves(byRemote, to) ? byRemote : undefined;
  }

  /**
   * An offered TLS connection whose certificate names `to`'s host: the peer is who its
   * certificate says, wherever it connected from (behind NAT its address is not its uri's).
   */
  offeredFor(to: Endpoint): StreamConnection | undefined {
    if (to.transport !== 'tls' || to.serverName === undefined) {
      return undefined;
    }
    for (const conn of this.#offered.keys()) {
      if (conn.usable && this.#serves(conn, to)) {
        return conn;
      }
    }
    return undefined;
  }

  /** RFC 5923: a TLS request with `alias` in its Via also registers its connection under its sent-by port. */
  aliasConnection(conn: StreamConnection, message: SipMessage): void {
    if (conn.remote.transport !== 'tls') {
      return;
    }
    const port = aliasPort(message, conn.socket as tls.TLSSocket, conn.remote.address);
    if (port === null) {
      return;
    }
    const key = endpointKey({ address: conn.remote.address, port, transport: 'tls' });
    const added = this.#offered.get(conn) ?? [];
    if (!conn.keys.includes(key) && !added.includes(key)) {
      added.push(key);
    }
    this.#offered.set(conn, added);
    this.#byRemote.set(key, conn);
  }

  #serves(conn: StreamConnection, to: Endpoint): boolean {
    if (to.transport !== 'tls') {
      return conn.remote.transport !== 'tls';
    }
    if (conn.remote.transport !== 'tls') {
      return false;
    }
    return tlsConnectionServes(conn.socket as tls.TLSSocket, this.#accepted.has(conn), endpointKey(conn.remote) === endpointKey(to), to);
  }

  /**
   * Admits a stream connection a listener accepted. `checkSource`: whether `admitSource`
   * decides now, before anything is read. A listener that recognises its peers after a
   * handshake (TLS, by certificate) passes false and applies its own check; the connection
   * caps apply either way.
   */
  /**
   * A TLS listener's raw connection, before its handshake: it takes its slot of the caps now, so
   * strangers cannot hold handshakes open past the caps; the slot goes back when the raw socket
   * closes, and `accept` of the finished connection takes none of its own.
   */
  reserve(raw: net.Socket): boolean {
    const address = raw.remoteAddress;
    const port = raw.remotePort;
    if (address === undefined || port === undefined) {
      raw.destroy();
      return false;
    }
    const slot = this.#gate.acquire(address);
    if (!slot.ok) {
      raw.destroy();
      this.#options.drop(slot.kind, `TLS connection from ${address}:${port} closed before its handshake: ${slot.detail}`, { address, port, transport: 'tls' });
      return false;
    }
    raw.once('close', () => this.#gate.release(address));
    return true;
  }

  accept(socket: net.Socket, checkSource: boolean, transport: 'tcp' | 'tls' = 'tcp'): StreamConnection | null {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    if (address === undefined || port === undefined) {
      socket.destroy(); // closed before we got to it
      return null;
    }
    const remote = remoteOf(socket, address, port, transport);
    if (checkSource && !this.#options.admits(address)) {
      socket.destroy();
      this.#options.drop('source-refused', `connection from ${address}:${port} closed at accept: no peer matches`, remote);
      return null;
    }
    if (transport === 'tls') {
      const conn = this.#adopt(socket, remote, []);
      this.#accepted.add(conn);
      this.#reserved.add(conn);
      return conn;
    }
    const slot = this.#gate.acquire(address);
    if (!slot.ok) {
      socket.destroy();
      this.#options.drop(slot.kind, `connection from ${address}:${port} closed at accept: ${slot.detail}`, remote);
      return null;
    }
    const conn = this.#adopt(socket, remote, []);
    this.#accepted.add(conn);
    return conn;
  }

  /**
   * Opens a connection to `to`, one attempt per remote `key` at a time (concurrent sends wait for
   * it); over TLS one per remote and name, since a connection verified for one name serves no other.
   */
  connect(to: Endpoint, key: string, localAddress: string | undefined): Promise<StreamConnection> {
    const overTls = to.transport === 'tls';
    const attemptKey = overTls ? `${key}|${to.serverName ?? ''}` : key;
    const pending = this.#connecting.get(attemptKey);
    if (pending !== undefined) {
      return pending;
    }
    const material = overTls ? this.#options.tls() : undefined;
    if (overTls && material === undefined) {
      return Promise.reject(new Error(`cannot reach ${to.address}:${to.port} over TLS: no sip.tls`));
    }
    const attempt = new Promise<StreamConnection>((resolve, reject) => {
      const socket =
        material !== undefined
          ? openTlsSocket(to, localAddress, material)
          : net.connect(localAddress === undefined ? { host: to.address, port: to.port } : { host: to.address, port: to.port, localAddress });
      const timer = setTimeout(() => socket.destroy(new Error(`connect to ${to.address}:${to.port} timed out`)), CONNECT_TIMEOUT_MS);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once(overTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (!this.#options.running()) {
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
        const remote = remoteOf(socket, address, port, overTls ? 'tls' : 'tcp');
        const slot = this.#gate.acquire(address);
        if (!slot.ok) {
          socket.destroy();
          this.#options.drop(slot.kind, `connection to ${to.address}:${to.port} not used: ${slot.detail}`, remote);
          reject(new Error(`connection to ${to.address}:${to.port} refused: ${slot.detail}`));
          return;
        }
        resolve(this.#adopt(socket, remote, [key]));
      });
    });
    const tracked = attempt.finally(() => this.#connecting.delete(attemptKey));
    this.#connecting.set(attemptKey, tracked);
    return tracked;
  }

  closeAll(): void {
    for (const conn of this.#connections.values()) {
      conn.socket.destroy();
    }
  }

  /** Takes over a connected socket whose gate slot is taken; the slot is given back when it closes. */
  #adopt(socket: net.Socket, remote: Endpoint, keys: readonly string[]): StreamConnection {
    const remoteKey = endpointKey(remote);
    const conn = new StreamConnection({
      id: `${remote.transport}-${this.#next++}`,
      socket,
      remote,
      keys: keys.includes(remoteKey) ? keys : [...keys, remoteKey],
      limits: this.#options.limits,
      events: this.#events,
    });
    this.#connections.set(conn.id, conn);
    for (const key of conn.keys) {
      this.#byRemote.set(key, conn);
    }
    return conn;
  }

  #forget(conn: StreamConnection): void {
    if (this.#connections.get(conn.id) !== conn) {
      return;
    }
    this.#connections.delete(conn.id);
    if (!this.#reserved.has(conn)) {
      this.#gate.release(conn.remote.address);
    }
    for (const key of [...conn.keys, ...(this.#offered.get(conn) ?? [])]) {
      if (this.#byRemote.get(key) === conn) {
        this.#byRemote.delete(key);
      }
    }
    this.#offered.delete(conn);
  }
}

/** The remote of a stream socket; over TLS with the names its verified certificate carries. */
function remoteOf(socket: net.Socket, address: string, port: number, transport: 'tcp' | 'tls'): Endpoint {
  const names = transport === 'tls' ? verifiedNames(socket as tls.TLSSocket) : undefined;
  return names === undefined ? { address, port, transport } : { address, port, transport, tlsNames: names };
}
