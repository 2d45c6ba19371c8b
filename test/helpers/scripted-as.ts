import { createSocket, type Socket } from 'node:dgram';
import { parseNameAddr } from '../../src/sip/name-addr.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { encodeSipMessage } from '../../src/sip/sip-serializer.ts';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseUri } from '../../src/sip/sip-uri.ts';

/**
 * A third-party AS as a minimal routing B2BUA over UDP, for wire tests: it takes the call the
 * guard hands it and sends it onward along the Route set it was given (back through the guard),
 * relaying responses, ACK and BYE between its two dialogs. It records everything it received.
 */
export class ScriptedAs {
  readonly received: SipMessage[] = [];
  readonly #socket: Socket;
  readonly #ip: string;
  readonly #port: number;
  /** Dialog 1: the request the guard sent us. Dialog 2: the one we sent onward. */
  #inbound: SipRequest | null = null;
  #inboundFrom: { address: string; port: number } | null = null;
  #onward: SipRequest | null = null;
  #onwardTarget: { address: string; port: number } | null = null;
  #onwardToTag: string | null = null;
  #guardContact: { address: string; port: number } | null = null;
  #cseq = 1;

  private constructor(socket: Socket, ip: string, port: number) {
    this.#socket = socket;
    this.#ip = ip;
    this.#port = port;
    socket.on('message', (data, rinfo) => this.#receive(parseSipMessage(data), rinfo));
  }

  static async start(ip: string, port: number): Promise<ScriptedAs> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(port, ip, resolve));
    return new ScriptedAs(socket, ip, port);
  }

  close(): void {
    this.#socket.close();
  }

  #send(msg: SipMessage, to: { address: string; port: number }): void {
    this.#socket.send(encodeSipMessage(msg), to.port, to.address);
  }

  #receive(msg: SipMessage, from: { address: string; port: number }): void {
    this.received.push(msg);
    if (msg.kind === 'request') {
      this.#onRequest(msg, { address: from.address, port: from.port });
    } else {
      this.#onResponse(msg);
    }
  }

  #onRequest(req: SipRequest, from: { address: string; port: number }): void {
    if (req.method === 'INVITE' && this.#inbound === null) {
      this.#inbound = req;
      this.#inboundFrom = from;
      // Pop our own Route entry; the next one (the guard with its token) is where the call goes on.
      const routes = header(req, 'Route').flatMap((v) => v.split(/,(?=\s*<)/).map((r) => r.trim()));
      routes.shift();
      const next = uriHostPort(parseNameAddr(routes[0] ?? '').uri);
      this.#onwardTarget = next;
      this.#onward = {
        kind: 'request',
        method: 'INVITE',
        uri: req.uri,
        headers: [
          { name: 'Via', value: `SIP/2.0/UDP ${this.#ip}:${this.#port};branch=z9hG4bK-as-${Date.now()}` },
          { name: 'Max-Forwards', value: '69' },
          ...routes.map((value) => ({ name: 'Route', value })),
          { name: 'From', value: `${stripTag(first(req, 'From'))};tag=as-leg2` },
          { name: 'To', value: first(req, 'To') },
          { name: 'Call-ID', value: `as-leg2-${Date.now()}` },
          { name: 'CSeq', value: '1 INVITE' },
          { name: 'Contact', value: `<sip:${this.#ip}:${this.#port}>` },
          ...copy(req, ['P-Asserted-Identity', 'Content-Type']),
        ],
        body: req.body,
      };
      this.#send(this.#onward, next);
      return;
    }
    if (req.method === 'ACK' && this.#onward !== null && this.#guardContact !== null) {
      this.#send(this.#inDialog('ACK', 1, req.body, copy(req, ['Content-Type'])), this.#guardContact);
      return;
    }
    if (req.method === 'BYE' && this.#onward !== null && this.#guardContact !== null) {
      this.#send(response(req, 200, 'OK', []), from);
      this.#cseq += 1;
      this.#send(this.#inDialog('BYE', this.#cseq, '', []), this.#guardContact);
    }
  }

  #onResponse(res: SipResponse): void {
    const cseq = first(res, 'CSeq');
    if (!cseq.endsWith('INVITE') || this.#inbound === null || this.#inboundFrom === null) {
      return;
    }
    if (res.status === 100) {
      return;
    }
    this.#onwardToTag = /;tag=([^;>\s]+)/.exec(first(res, 'To'))?.[1] ?? this.#onwardToTag;
    const contact = header(res, 'Contact')[0];
    if (contact !== undefined) {
      this.#guardContact = uriHostPort(parseNameAddr(contact).uri);
    }
    this.#send(
      response(this.#inbound, res.status, res.reason, [
        { name: 'Contact', value: `<sip:${this.#ip}:${this.#port}>` },
        ...copy(res, ['P-Asserted-Identity', 'Content-Type']),
      ], res.body),
      this.#inboundFrom,
    );
  }

  #inDialog(method: string, cseq: number, body: string, extra: SipHeader[]): SipRequest {
    const onward = this.#onward as SipRequest;
    return {
      kind: 'request',
      method,
      uri: `sip:${this.#guardContact?.address ?? ''}:${this.#guardContact?.port ?? 0}`,
      headers: [
        { name: 'Via', value: `SIP/2.0/UDP ${this.#ip}:${this.#port};branch=z9hG4bK-as-${method}-${Date.now()}` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: first(onward, 'From') },
        { name: 'To', value: `${first(onward, 'To')};tag=${this.#onwardToTag ?? ''}` },
        { name: 'Call-ID', value: first(onward, 'Call-ID') },
        { name: 'CSeq', value: `${cseq} ${method}` },
        ...extra,
      ],
      body,
    };
  }
}

function header(msg: SipMessage, name: string): string[] {
  return msg.headers.filter((h) => h.name === name).map((h) => h.value);
}

function first(msg: SipMessage, name: string): string {
  return header(msg, name)[0] ?? '';
}

function copy(msg: SipMessage, names: string[]): SipHeader[] {
  return msg.headers.filter((h) => names.includes(h.name));
}

function stripTag(value: string): string {
  return value.replace(/;tag=[^;>\s]+/, '');
}

function uriHostPort(uri: string): { address: string; port: number } {
  const parsed = parseUri(uri);
  return { address: parsed?.host ?? '127.0.0.1', port: parsed?.port ?? 5060 };
}

function response(req: SipRequest, status: number, reason: string, extra: SipHeader[], body = ''): SipResponse {
  const to = first(req, 'To');
  return {
    kind: 'response',
    status,
    reason,
    headers: [
      ...copy(req, ['Via', 'From']),
      { name: 'To', value: /;tag=/.test(to) ? to : `${to};tag=as-leg1` },
      ...copy(req, ['Call-ID', 'CSeq']),
      ...extra,
    ],
    body,
  };
}
