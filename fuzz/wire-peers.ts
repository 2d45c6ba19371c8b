/**
 * The parties of the wire level on their own loopback addresses: UDP peers that play caller,
 * callee, AS and a stranger (scripted steps take what they wait for; whatever nobody waits for
 * is answered the way a plain UA would, so the guard is never left retransmitting), and
 * one-shot TCP connections from any party's address for the mutated messages sent on TCP.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { getHeader, getHeaderValues } from '../src/sip/sip-headers.ts';
import type { SipMessage, SipRequest } from '../src/sip/sip-message.ts';
import { parseSipMessage } from '../src/sip/sip-parser.ts';
import { StreamFramer } from '../src/transport/stream-framer.ts';
import type { Party } from './call-script.ts';
import { answerBody, responseTo } from './call-script.ts';

/** Every message a party receives, for the level's checks (500s, what the guard sends). */
export type ReceivedHook = (message: SipMessage, at: Party) => void;

export interface UdpHooks {
  readonly message: (message: SipMessage) => void;
  /** A datagram from the guard that does not parse (its bytes, latin1). */
  readonly garbage: (bytes: string) => void;
}

interface Waiter {
  readonly match: (m: SipMessage) => boolean;
  readonly resolve: (m: SipMessage | null) => void;
}

function viaTarget(req: SipRequest): { address: string; port: number } {
  const via = getHeaderValues(req, 'Via')[0] ?? '';
  const m = /SIP\/2\.0\/\w+\s+([^;:\s]+)(?::(\d+))?/i.exec(via);
  const received = /;\s*received=([^;\s]+)/i.exec(via)?.[1];
  const rport = /;\s*rport=(\d+)/i.exec(via)?.[1];
  return { address: received ?? m?.[1] ?? '127.0.0.1', port: Number(rport ?? m?.[2] ?? 5060) };
}

export class UdpParty {
  readonly party: Party;
  readonly #socket: dgram.Socket;
  readonly #hooks: UdpHooks;
  #waiters: Waiter[] = [];

  private constructor(socket: dgram.Socket, party: Party, hooks: UdpHooks) {
    this.#socket = socket;
    this.party = party;
    this.#hooks = hooks;
    socket.on('message', (data) => this.#receive(data));
    // A send to a closed port or an oversized datagram: the fuzzer goes on.
    socket.on('error', () => undefined);
  }

  static async start(party: Party, hooks: UdpHooks): Promise<UdpParty> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(party.port, party.ip, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpParty(socket, party, hooks);
  }

  close(): void {
    this.#socket.close();
  }

  send(bytes: string, to: { address: string; port: number }): void {
    // A datagram over 65,507 bytes cannot be sent; the callback reports it and the case goes on.
    this.#socket.send(Buffer.from(bytes, 'latin1'), to.port, to.address, () => undefined);
  }

  /** Resolves with the first later message `match` accepts, or null after `ms`. */
  expect(match: (m: SipMessage) => boolean, ms: number): Promise<SipMessage | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(null);
      }, ms);
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  #receive(data: Buffer): void {
    let message: SipMessage;
    try {
      message = parseSipMessage(data);
    } catch {
      this.#hooks.garbage(data.toString('latin1'));
      return;
    }
    this.#hooks.message(message);
    const waiter = this.#waiters.find((w) => w.match(message));
    if (waiter !== undefined) {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      waiter.resolve(message);
      return;
    }
    if (message.kind === 'request') {
      this.#answer(message);
    }
  }

  /** What a plain UA answers to a request no script step waits for. */
  #answer(req: SipRequest): void {
    if (req.method === 'ACK') {
      return;
    }
    const to = viaTarget(req);
    if (req.method === 'INVITE') {
      this.send(responseTo(req, this.party, 180, 'Ringing', null), to);
      this.send(responseTo(req, this.party, 200, 'OK', req.body === '' ? null : answerBody('sdp', this.party)), to);
      return;
    }
    const withAnswer = req.method === 'UPDATE' && req.body !== '';
    this.send(responseTo(req, this.party, 200, 'OK', withAnswer ? answerBody('sdp', this.party) : null), to);
  }
}

/**
 * Sends `bytes` on a new TCP connection from `from.ip` and reads what comes back until `ms`
 * passes or the guard closes it. One connection per message: a message that leaves the stream
 * waiting for body bytes cannot swallow the next case's message.
 */
export function sendOverTcp(bytes: string, from: Party, to: { address: string; port: number }, ms: number, hook: ReceivedHook): Promise<void> {
  return new Promise((resolve) => {
    const framer = new StreamFramer();
    const socket = net.connect({ host: to.address, port: to.port, localAddress: from.ip });
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.on('connect', () => socket.write(Buffer.from(bytes, 'latin1')));
    socket.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.kind !== 'message') {
          continue;
        }
        try {
          hook(parseSipMessage(event.data), from);
        } catch {
          // not SIP: nothing to check
        }
      }
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

/** True for the response to the request with this Call-ID and CSeq method. */
export function responseFor(callId: string, method: string, status: (s: number) => boolean): (m: SipMessage) => boolean {
  return (m) => m.kind === 'response' && status(m.status) && getHeader(m, 'Call-ID') === callId && (getHeader(m, 'CSeq') ?? '').trim().endsWith(` ${method}`);
}
