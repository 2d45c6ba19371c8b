/**
 * The stream (TCP) connections of the embedded transport, accepted and opened alike: each one
 * takes a slot of the connection caps (connection-gate.ts) before it is used, is registered
 * under its connection id and remote endpoint for reuse, and gives its slot back when it
 * closes. What the framed bytes mean is the transport's business (`onFramed`).
 */
import net from 'node:net';
import { ConnectionGate, type ConnectionCaps } from './connection-gate.ts';
import type { TransportStats } from './embedded-transport-options.ts';
import type { Endpoint } from './endpoint.ts';
import { endpointKey } from './endpoint.ts';
import { describe } from './socket-facts.ts';
import { StreamConnection, type StreamConnectionEvents, type StreamLimits } from './stream-connection.ts';

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

  /** The connection `id` if it still takes sends, else an open one to the remote `key`, else undefined. */
  usable(id: string | null | undefined, key: string): StreamConnection | undefined {
    const byId = id === null || id === undefined ? undefined : this.#connections.get(id);
    if (byId?.usable === true) {
      return byId;
    }
    const byRemote = this.#byRemote.get(key);
    return byRemote?.usable === true ? byRemote : undefined;
  }

  /**
   * Admits a stream connection a listener accepted. `checkSource`: whether `admitSource`
   * decides now, before anything is read. A listener that recognises its peers after a
   * handshake (TLS, by certificate) passes false and applies its own check; the connection
   * caps apply either way.
   */
  accept(socket: net.Socket, checkSource: boolean): StreamConnection | null {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    if (address === undefined || port === undefined) {
      socket.destroy(); // closed before we got to it
      return null;
    }
    const remote: Endpoint = { address, port, transport: 'tcp' };
    if (checkSource && !this.#options.admits(address)) {
      socket.destroy();
      this.#options.drop('source-refused', `connection from ${address}:${port} closed at accept: no peer matches`, remote);
      return null;
    }
    const slot = this.#gate.acquire(address);
    if (!slot.ok) {
      socket.destroy();
      this.#options.drop(slot.kind, `connection from ${address}:${port} closed at accept: ${slot.detail}`, remote);
      return null;
    }
    return this.#adopt(socket, remote, []);
  }

  /** Opens a connection to `to`, one attempt per remote `key` at a time (concurrent sends wait for it). */
  connect(to: Endpoint, key: string, localAddress: string | undefined): Promise<StreamConnection> {
    const pending = this.#connecting.get(key);
    if (pending !== undefined) {
      return pending;
    }
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
        const remote: Endpoint = { address, port, transport: 'tcp' };
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
    const tracked = attempt.finally(() => this.#connecting.delete(key));
    this.#connecting.set(key, tracked);
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
      id: `tcp-${this.#next++}`,
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
    this.#gate.release(conn.remote.address);
    for (const key of conn.keys) {
      if (this.#byRemote.get(key) === conn) {
        this.#byRemote.delete(key);
      }
    }
  }
}
