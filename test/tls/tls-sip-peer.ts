/**
 * A scripted SIP peer over TLS (node:tls), the TLS twin of test/helpers/sip-peer.ts: it
 * connects to the guard from a loopback address of its choosing with a certificate of its
 * choosing (or none), or listens for the guard's connections, and records every message.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { getHeader, getHeaderValues } from '../../src/sip/sip-headers.ts';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { encodeSipMessage } from '../../src/sip/sip-serializer.ts';
import { StreamFramer } from '../../src/transport/stream-framer.ts';
import type { KeyPair } from './test-pki.ts';

const WAIT_MS = 5_000;

export interface Received {
  readonly message: SipMessage;
  readonly socket: tls.TLSSocket;
}

export class TlsSipPeer {
  readonly ip: string;
  /** Port of the listener (listen), or the local port of the connection (connect). */
  port: number;
  readonly received: Received[] = [];
  readonly sockets: tls.TLSSocket[] = [];
  readonly #server: tls.Server | null;
  #waiters: { match: (m: SipMessage) => boolean; resolve: (r: Received) => void }[] = [];
  readonly #taken = new Set<Received>();
  #seq = 0;

  private constructor(ip: string, port: number, server: tls.Server | null) {
    this.ip = ip;
    this.port = port;
    this.#server = server;
  }

  /** Connects to `to` from `ip`, presenting `pair` (or no certificate), trusting `ca` for the guard's. */
  static async connect(opts: { ip: string; to: { address: string; port: number }; pair: KeyPair | null; ca: string; servername?: string }): Promise<TlsSipPeer> {
    // tls.connect takes socket.connect() options too (localAddress); its types do not list them.
    const options: tls.ConnectionOptions & { localAddress: string } = {
      host: opts.to.address,
      port: opts.to.port,
      localAddress: opts.ip,
      ca: readFileSync(opts.ca),
      ...(opts.pair === null ? {} : { cert: readFileSync(opts.pair.cert), key: readFileSync(opts.pair.key) }),
      servername: opts.servername ?? 'guard.test',
    };
    const socket = tls.connect(options);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const peer = new TlsSipPeer(opts.ip, socket.localPort ?? 0, null);
    peer.#adopt(socket);
    return peer;
  }

  /** Listens on ip:port with `pair`, asking the guard for a client certificate from `ca`. */
  static async listen(opts: { ip: string; port: number; pair: KeyPair; ca: string }): Promise<TlsSipPeer> {
    const server = tls.createServer({
      cert: readFileSync(opts.pair.cert),
      key: readFileSync(opts.pair.key),
      ca: readFileSync(opts.ca),
      requestCert: true,
      rejectUnauthorized: true,
    });
    const peer = new TlsSipPeer(opts.ip, opts.port, server);
    server.on('secureConnection', (socket) => peer.#adopt(socket));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(opts.port, opts.ip, resolve));
    return peer;
  }

  #adopt(socket: tls.TLSSocket): void {
    this.sockets.push(socket);
    const framer = new StreamFramer({ maxMessageBytes: 65_535 });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.kind !== 'message') {
          continue;
        }
        let message: SipMessage;
        try {
          message = parseSipMessage(event.data);
        } catch {
          continue;
        }
        const got = { message, socket };
        this.received.push(got);
        const waiter = this.#waiters.find((w) => w.match(message));
        if (waiter !== undefined) {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          this.#taken.add(got);
          waiter.resolve(got);
        }
      }
    });
  }

  close(): void {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.#server?.close();
  }

  branch(): string {
    this.#seq += 1;
    return `z9hG4bK-tls-${this.ip.replace(/\./g, '-')}-${this.#seq}-${Date.now()}`;
  }

  /** A Via as this peer writes it; `sentBy` is what it claims to be (a name its certificate carries). */
  via(sentBy = `${this.ip}:${this.port}`, alias = false): string {
    return `SIP/2.0/TLS ${sentBy};branch=${this.branch()}${alias ? ';alias' : ''}`;
  }

  /** Sends on `socket`, default the newest connection. */
  send(msg: SipMessage, socket = this.sockets[this.sockets.length - 1]): void {
    if (socket === undefined) {
      throw new Error('no connection');
    }
    socket.write(encodeSipMessage(msg));
  }

  next(match: (m: SipMessage) => boolean, ms = WAIT_MS): Promise<Received> {
    const queued = this.received.find((r) => !this.#taken.has(r) && match(r.message));
    if (queued !== undefined) {
      this.#taken.add(queued);
      return Promise.resolve(queued);
    }
    return new Promise<Received>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.ip}: timed out waiting for a TLS message`));
      }, ms);
      const done = (r: Received): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.#waiters.push({ match, resolve: done });
    });
  }

  async nextRequest(method: string, ms?: number): Promise<Received & { message: SipRequest }> {
    return (await this.next((m) => m.kind === 'request' && m.method === method, ms)) as Received & { message: SipRequest };
  }

  async nextResponse(ok: (status: number) => boolean, ms?: number): Promise<SipResponse> {
    return (await this.next((m) => m.kind === 'response' && ok(m.status), ms)).message as SipResponse;
  }

  /** Answers a request on the connection it came over (RFC 3261 18.2.2). */
  reply(got: Received & { message: SipRequest }, status: number, reason: string, opts: { toTag?: string; body?: string; contact?: string } = {}): void {
    const req = got.message;
    const to = getHeader(req, 'To') ?? '';
    const headers: SipHeader[] = [
      ...getHeaderValues(req, 'Via').map((value) => ({ name: 'Via', value })),
      { name: 'From', value: getHeader(req, 'From') ?? '' },
      { name: 'To', value: opts.toTag === undefined ? to : `${to};tag=${opts.toTag}` },
      { name: 'Call-ID', value: getHeader(req, 'Call-ID') ?? '' },
      { name: 'CSeq', value: getHeader(req, 'CSeq') ?? '' },
      ...(opts.contact === undefined ? [] : [{ name: 'Contact', value: opts.contact }]),
      ...(opts.body === undefined ? [] : [{ name: 'Content-Type', value: 'application/sdp' }]),
    ];
    this.send({ kind: 'response', status, reason, headers, body: opts.body ?? '' }, got.socket);
  }
}
