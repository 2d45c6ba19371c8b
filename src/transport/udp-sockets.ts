/**
 * The UDP sockets of the embedded transport: binding, the choice of socket a datagram leaves
 * from (RFC 3581 4: a response leaves from the socket its request came in on), and sending.
 * What a received datagram means is the transport's business (`onDatagram`).
 */
import type { Buffer } from 'node:buffer';
import dgram from 'node:dgram';
import dns from 'node:dns';
import type { SipMessage } from '../sip/sip-message.ts';
import type { Endpoint } from './endpoint.ts';
import { endpointKey, hostKey } from './endpoint.ts';
import { describe, familyOf } from './socket-facts.ts';
import { readTopVia } from './top-via.ts';

export interface UdpListener {
  readonly socket: dgram.Socket;
  readonly endpoint: Endpoint;
  readonly family: 4 | 6;
}

export interface UdpSocketsOptions {
  /** SO_RCVBUF; ignored (and reported) if the OS refuses. */
  readonly receiveBufferBytes: number;
  readonly onDatagram: (listener: UdpListener, buf: Buffer, rinfo: dgram.RemoteInfo) => void;
  readonly onError: (kind: 'udp-error' | 'udp-buffer', detail: string, endpoint?: Endpoint) => void;
}

/**
 * dgram's address lookup: an IP literal is answered at once, a name goes to dns.lookup. Node's
 * default also answers a literal without DNS, but a tick later (process.nextTick), so every
 * datagram sent would wait a turn; the embedded front end sends to literals only
 * (endpointForUri resolves names first).
 */
export const literalFirstLookup: NonNullable<dgram.SocketOptions['lookup']> = (hostname, options, callback) => {
  const family = familyOf(hostname);
  if (family === 0) {
    dns.lookup(hostname, options, callback);
  } else {
    callback(null, hostname, family);
  }
};

/** Bound on the remote-to-socket memo used when several UDP sockets share an address family. */
const MAX_UDP_MEMO = 65_536;

/**
 * Datagrams that are not SIP and need no answer: CRLF-only keep-alives, and STUN (RFC 5389 6:
 * top two bits zero and the magic cookie 0x2112A442), used for keep-alive on UDP (RFC 5626 4.4.2).
 */
export function isUdpKeepAlive(buf: Buffer): boolean {
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

export class UdpSockets {
  readonly #options: UdpSocketsOptions;
  readonly #listeners: UdpListener[] = [];
  /**
   * Which UDP socket last heard from a remote, kept only when two UDP sockets share a family:
   * a response must leave from the socket the request arrived on (RFC 3581 4, symmetric response).
   */
  #memo: Map<string, UdpListener> | null = null;

  constructor(options: UdpSocketsOptions) {
    this.#options = options;
  }

  async bind(host: string, port: number): Promise<Endpoint> {
    const family = familyOf(host) === 6 ? 6 : 4;
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: literalFirstLookup });
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
      socket.setRecvBufferSize(this.#options.receiveBufferBytes);
    } catch (err) {
      this.#options.onError('udp-buffer', `SO_RCVBUF not set: ${describe(err)}`);
    }
    const bound = socket.address();
    const listener: UdpListener = { socket, family, endpoint: { address: bound.address, port: bound.port, transport: 'udp' } };
    socket.on('error', (err) => this.#options.onError('udp-error', describe(err), listener.endpoint));
    socket.on('message', (buf, rinfo) => this.#options.onDatagram(listener, buf, rinfo));
    this.#listeners.push(listener);
    return listener.endpoint;
  }

  /** After every bind: the memo is kept only when two sockets share a family. */
  ready(): void {
    const families = this.#listeners.map((l) => l.family);
    if (new Set(families).size !== families.length) {
      this.#memo = new Map();
    }
  }

  /** Notes that `source` was heard on `listener` (for the socket its responses leave from). */
  remember(listener: UdpListener, source: Endpoint): void {
    if (this.#memo !== null) {
      if (this.#memo.size >= MAX_UDP_MEMO) {
        this.#memo.clear();
      }
      this.#memo.set(endpointKey(source), listener);
    }
  }

  /**
   * The socket a datagram leaves from: the only one of the destination's family; else, for a
   * response, the one the request came in on; for a request, the one its top Via names (where
   * the responses will come back, RFC 3261 18.1.1); else the first of the family.
   */
  socketFor(message: SipMessage, to: Endpoint): UdpListener {
    const family = familyOf(to.address);
    let first: UdpListener | undefined;
    let count = 0;
    for (const l of this.#listeners) {
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
      const memo = this.#memo?.get(endpointKey(to));
      if (memo !== undefined) {
        return memo;
      }
    } else {
      try {
        const { via } = readTopVia(message);
        const host = hostKey(via.host);
        const port = via.port ?? 5060;
        const named = this.#listeners.find((l) => l.endpoint.port === port && hostKey(l.endpoint.address) === host);
        if (named !== undefined && (family === 0 || named.family === family)) {
          return named;
        }
      } catch {
        // no usable Via: fall through
      }
    }
    return first;
  }

  send(listener: UdpListener, data: Buffer, to: Endpoint): Promise<void> {
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

  async close(): Promise<void> {
    const waits = this.#listeners.map(
      (l) =>
        new Promise<void>((resolve) => {
          try {
            l.socket.close(() => resolve());
          } catch {
            resolve(); // already closed
          }
        }),
    );
    this.#listeners.length = 0;
    this.#memo = null;
    await Promise.all(waits);
  }
}
