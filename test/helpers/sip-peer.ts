import { createSocket, type Socket } from 'node:dgram';
import { getHeader, getHeaderValues } from '../../src/sip/sip-headers.ts';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { DEFAULT_MESSAGE_LIMITS, type MessageLimits } from '../../src/sip/message-limits.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { encodeSipMessage } from '../../src/sip/sip-serializer.ts';

// Generous: the suites run beside property tests on a 2-core machine; a pass never waits this long.
const WAIT_MS = 5_000;

/** A scripted peer reads what the guard sends it whatever its size: it is not the one being tested. */
const PEER_LIMITS: MessageLimits = {
  ...DEFAULT_MESSAGE_LIMITS,
  maxHeaderBytes: 65_535,
  maxParamsPerHeader: 65_535,
  maxListEntries: 65_535,
  maxSdpLines: 65_535,
  maxSdpMedia: 65_535,
  maxBodyParts: 16,
  maxMultipartDepth: 4,
};

/**
 * A scripted SIP peer on its own loopback address (UDP): it sends exactly what a test writes,
 * byte for byte if need be, and records everything it receives. Attackers and the honest
 * parties of a call in the attack tests are both played by it, so a test sees every byte.
 */
export class SipPeer {
  readonly ip: string;
  readonly port: number;
  readonly received: SipMessage[] = [];
  readonly #socket: Socket;
  #waiters: { match: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  #taken = new Set<SipMessage>();
  #seq = 0;

  private constructor(socket: Socket, ip: string, port: number) {
    this.#socket = socket;
    this.ip = ip;
    this.port = port;
    socket.on('message', (data) => {
      let msg: SipMessage;
      try {
        msg = parseSipMessage(data, PEER_LIMITS);
      } catch {
        return;
      }
      this.received.push(msg);
      const waiter = this.#waiters.find((w) => w.match(msg));
      if (waiter !== undefined) {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        this.#taken.add(msg);
        waiter.resolve(msg);
      }
    });
  }

  static async start(ip: string, port: number): Promise<SipPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(port, ip, resolve));
    return new SipPeer(socket, ip, port);
  }

  close(): void {
    this.#socket.close();
  }

  get contact(): string {
    return `<sip:${this.ip}:${this.port}>`;
  }

  /** A fresh branch for this peer's next request. */
  branch(): string {
    this.#seq += 1;
    return `z9hG4bK-${this.ip.replace(/\./g, '-')}-${this.#seq}-${Date.now()}`;
  }

  via(branch = this.branch()): string {
    return `SIP/2.0/UDP ${this.ip}:${this.port};branch=${branch}`;
  }

  send(msg: SipMessage | string | Buffer, to: { address: string; port: number }): void {
    const data = typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : encodeSipMessage(msg);
    this.#socket.send(data, to.port, to.address);
  }

  /** The next message (received already and not yet taken, or arriving) that `match` accepts. */
  next<T extends SipMessage = SipMessage>(match: (m: SipMessage) => boolean, ms = WAIT_MS): Promise<T> {
    const queued = this.received.find((m) => !this.#taken.has(m) && match(m));
    if (queued !== undefined) {
      this.#taken.add(queued);
      return Promise.resolve(queued as T);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.ip}: timed out waiting for a message`));
      }, ms);
      const done = (m: SipMessage): void => {
        clearTimeout(timer);
        resolve(m as T);
      };
      this.#waiters.push({ match, resolve: done });
    });
  }

  nextRequest(method: string, ms?: number): Promise<SipRequest> {
    return this.next<SipRequest>((m) => m.kind === 'request' && m.method === method, ms);
  }

  nextResponse(status: number | ((s: number) => boolean), method?: string, ms?: number): Promise<SipResponse> {
    const ok = typeof status === 'number' ? (s: number) => s === status : status;
    return this.next<SipResponse>((m) => m.kind === 'response' && ok(m.status) && (method === undefined || cseqMethod(m) === method), ms);
  }

  /** Waits `ms` and says whether anything `match` accepts arrived meanwhile (taken or not). */
  async gotWithin(match: (m: SipMessage) => boolean, ms = 500): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.received.some(match);
  }

  /** A response to `req` as a UAS writes it (RFC 3261 8.2.6): Via, From, To (+ tag), Call-ID, CSeq echoed. */
  response(req: SipRequest, status: number, reason: string, opts: { toTag?: string; body?: string; headers?: SipHeader[] } = {}): SipResponse {
    const to = getHeader(req, 'To') ?? '';
    const headers: SipHeader[] = [
      ...getHeaderValues(req, 'Via').map((value) => ({ name: 'Via', value })),
      { name: 'From', value: getHeader(req, 'From') ?? '' },
      { name: 'To', value: opts.toTag === undefined || /;\s*tag=/i.test(to) ? to : `${to};tag=${opts.toTag}` },
      { name: 'Call-ID', value: getHeader(req, 'Call-ID') ?? '' },
      { name: 'CSeq', value: getHeader(req, 'CSeq') ?? '' },
      ...(status >= 200 && status < 300 && req.method === 'INVITE' ? [{ name: 'Contact', value: this.contact }] : []),
      ...(opts.headers ?? []),
      ...(opts.body === undefined ? [] : [{ name: 'Content-Type', value: 'application/sdp' }]),
    ];
    return { kind: 'response', status, reason, headers, body: opts.body ?? '' };
  }

  /** Answers `req` toward where it came from (the top Via's sent-by, which is the guard here). */
  reply(req: SipRequest, status: number, reason: string, opts: { toTag?: string; body?: string; headers?: SipHeader[] } = {}): SipResponse {
    const res = this.response(req, status, reason, opts);
    this.send(res, viaTarget(req));
    return res;
  }
}

/** A multipart body (RFC 2046 5.1.1) of the given parts, each `[Content-Type, content]`, CRLF throughout. */
export function multipart(boundary: string, parts: readonly (readonly [string, string])[]): string {
  return `${parts.map(([type, content]) => `--${boundary}\r\nContent-Type: ${type}\r\n\r\n${content}\r\n`).join('')}--${boundary}--\r\n`;
}

/** Every byte value once: a binary part (ISUP-like) as the byte string bodies are kept in. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');

export function cseqMethod(msg: SipMessage): string {
  return (getHeader(msg, 'CSeq') ?? '').trim().split(/\s+/)[1] ?? '';
}

export function tagOfHeader(value: string | undefined): string | null {
  const m = /;\s*tag=([^;>\s]+)/i.exec(value ?? '');
  return m?.[1] ?? null;
}

/** Where a response to `req` goes: the top Via's received/rport, else its sent-by (RFC 3261 18.2.2). */
export function viaTarget(req: SipRequest): { address: string; port: number } {
  const via = getHeaderValues(req, 'Via')[0] ?? '';
  const m = /SIP\/2\.0\/\w+\s+([^;:\s]+)(?::(\d+))?/i.exec(via);
  const received = /;\s*received=([^;\s]+)/i.exec(via)?.[1];
  const rport = /;\s*rport=(\d+)/i.exec(via)?.[1];
  return { address: received ?? m?.[1] ?? '127.0.0.1', port: Number(rport ?? m?.[2] ?? 5060) };
}

/** An INVITE (or other dialog-creating request) as a caller writes it. */
export function dialogRequest(
  from: SipPeer,
  opts: { method?: string; uri: string; to?: string; callId: string; fromTag?: string; contentType?: string | null; route?: string[]; body?: string; headers?: SipHeader[]; branch?: string; cseq?: number },
): SipRequest {
  const method = opts.method ?? 'INVITE';
  const headers: SipHeader[] = [
    { name: 'Via', value: from.via(opts.branch) },
    { name: 'Max-Forwards', value: '70' },
    ...(opts.route ?? []).map((value) => ({ name: 'Route', value })),
    { name: 'From', value: `<sip:+15550001111@ims.example.net>;tag=${opts.fromTag ?? 'caller'}` },
    { name: 'To', value: `<${opts.to ?? opts.uri}>` },
    { name: 'Call-ID', value: opts.callId },
    { name: 'CSeq', value: `${opts.cseq ?? 1} ${method}` },
    { name: 'Contact', value: from.contact },
    ...(opts.headers ?? []),
    ...(opts.body === undefined || opts.contentType === null ? [] : [{ name: 'Content-Type', value: opts.contentType ?? 'application/sdp' }]),
  ];
  return { kind: 'request', method, uri: opts.uri, headers, body: opts.body ?? '' };
}

/** An in-dialog request from the UA that received `dialogResponse`'s request (`asCallee`) or sent it. */
export function inDialog(
  from: SipPeer,
  dialog: { callId: string; localUri: string; remoteUri: string; remoteTarget: string; route?: string[] },
  opts: { method: string; cseq: number; body?: string; headers?: SipHeader[]; branch?: string },
): SipRequest {
  const headers: SipHeader[] = [
    { name: 'Via', value: from.via(opts.branch) },
    { name: 'Max-Forwards', value: '70' },
    ...(dialog.route ?? []).map((value) => ({ name: 'Route', value })),
    { name: 'From', value: dialog.localUri },
    { name: 'To', value: dialog.remoteUri },
    { name: 'Call-ID', value: dialog.callId },
    { name: 'CSeq', value: `${opts.cseq} ${opts.method}` },
    ...(opts.method === 'INVITE' || opts.method === 'UPDATE' ? [{ name: 'Contact', value: from.contact }] : []),
    ...(opts.headers ?? []),
    ...(opts.body === undefined ? [] : [{ name: 'Content-Type', value: 'application/sdp' }]),
  ];
  return { kind: 'request', method: opts.method, uri: dialog.remoteTarget, headers, body: opts.body ?? '' };
}

/** The URI of a Contact (or other name-addr) value. */
export function addrUri(value: string | undefined): string {
  const m = /<([^>]+)>/.exec(value ?? '');
  return m?.[1] ?? (value ?? '').trim();
}
