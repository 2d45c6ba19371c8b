import { createSocket, type Socket } from 'node:dgram';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { SipMessage } from '../../src/sip/sip-message.ts';

/** A UDP socket on `ip:port` (0: any port) that parses and keeps every message it receives. */
export async function bindUdp(ip: string, port: number): Promise<{ socket: Socket; received: SipMessage[] }> {
  const socket = createSocket('udp4');
  const received: SipMessage[] = [];
  socket.on('message', (data) => received.push(parseSipMessage(data)));
  await new Promise<void>((resolve) => socket.bind(port, ip, resolve));
  return { socket, received };
}

/** A dialog-creating INVITE from the core on 127.0.0.1 for bob, without a body. */
export function coreInviteText(callId: string, localPort: number, opts: { caller?: string; asserted?: boolean } = {}): string {
  const caller = opts.caller ?? 'alice';
  return [
    'INVITE sip:bob@ims.example.net SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${callId}`,
    'Max-Forwards: 70',
    `From: <sip:${caller}@ims.example.net>;tag=${callId}`,
    'To: <sip:bob@ims.example.net>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    ...(opts.asserted === true ? [`P-Asserted-Identity: <sip:${caller}@ims.example.net>`] : []),
    `Contact: <sip:${caller}@127.0.0.1:${localPort}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Waits until `check` holds or `ms` passed; says which. */
export async function until(check: () => boolean, ms = 3_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
