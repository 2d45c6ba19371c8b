/**
 * The core's callee for deployment tests: a UAS on UDP that answers every INVITE 200 (audio
 * answer) but one to `sip:busy@…`, which gets 503 (a callee's own 503 the guards relay), every BYE 200, and records each request, so many calls can end on it while a test
 * reads the dialogs it needs.
 */
import { createSocket, type Socket } from 'node:dgram';
import { getHeader, getHeaderValues } from '../../src/sip/sip-headers.ts';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { encodeSipMessage } from '../../src/sip/sip-serializer.ts';
import { viaTarget } from './sip-peer.ts';

export const AUDIO_ANSWER = 'v=0\r\no=callee 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

export class AutoCallee {
  readonly ip: string;
  readonly port: number;
  readonly requests: SipRequest[] = [];
  readonly responses: SipResponse[] = [];
  readonly #socket: Socket;

  private constructor(socket: Socket, ip: string, port: number) {
    this.#socket = socket;
    this.ip = ip;
    this.port = port;
    socket.on('message', (data) => {
      let msg: SipMessage;
      try {
        msg = parseSipMessage(data);
      } catch {
        return;
      }
      if (msg.kind === 'response') {
        this.responses.push(msg);
        return;
      }
      this.requests.push(msg);
      if (msg.method === 'INVITE' && /<sip:busy@/.test(getHeader(msg, 'To') ?? '')) {
        this.#reply(msg, 503, 'Service Unavailable', [], '');
      } else if (msg.method === 'INVITE') {
        this.#reply(msg, 200, 'OK', [{ name: 'Contact', value: `<sip:callee@${ip}:${port}>` }, { name: 'Content-Type', value: 'application/sdp' }], AUDIO_ANSWER);
      } else if (msg.method !== 'ACK') {
        this.#reply(msg, 200, 'OK', [], '');
      }
    });
  }

  static async start(ip: string, port: number): Promise<AutoCallee> {
    const socket = createSocket('udp4');
    await new Promise<void>((done) => socket.bind(port, ip, done));
    return new AutoCallee(socket, ip, port);
  }

  send(msg: SipMessage, to: { address: string; port: number }): void {
    this.#socket.send(encodeSipMessage(msg), to.port, to.address);
  }

  /** Waits for a response `match` accepts (received already or arriving); false after `ms`. */
  async until(match: (res: SipResponse) => boolean, ms = 20_000): Promise<boolean> {
    const end = Date.now() + ms;
    while (!this.responses.some(match) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.responses.some(match);
  }

  close(): void {
    this.#socket.close();
  }

  /** The callee's own To tag: one per guard-side Call-ID, so a test can write in-dialog requests. */
  static tagFor(callId: string): string {
    return `callee-${callId.replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}`;
  }

  #reply(req: SipRequest, status: number, reason: string, extra: SipHeader[], body: string): void {
    const to = getHeader(req, 'To') ?? '';
    const headers: SipHeader[] = [
      ...getHeaderValues(req, 'Via').map((value) => ({ name: 'Via', value })),
      { name: 'From', value: getHeader(req, 'From') ?? '' },
      { name: 'To', value: /;\s*tag=/i.test(to) ? to : `${to};tag=${AutoCallee.tagFor(getHeader(req, 'Call-ID') ?? '')}` },
      { name: 'Call-ID', value: getHeader(req, 'Call-ID') ?? '' },
      { name: 'CSeq', value: getHeader(req, 'CSeq') ?? '' },
      ...extra,
    ];
    this.#socket.send(encodeSipMessage({ kind: 'response', status, reason, headers, body }), viaTarget(req).port, viaTarget(req).address);
  }
}
