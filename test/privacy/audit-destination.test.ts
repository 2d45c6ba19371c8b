/**
 * The audit line's `to` names where a message went. When that is no peer of the profile, it is
 * an address the message named, as a URI that can carry a user (a Request-URI
 * `sip:+15551234@...`): by default no identity may be shown in clear there either.
 */
import { createSocket, type Socket } from 'node:dgram';
import t from 'tap';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { SipMessage } from '../../src/sip/sip-message.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';

const GUARD_IP = '127.0.0.14';
const PORT = 18170;
const ELSEWHERE_PORT = 18172;

async function bind(ip: string, port: number): Promise<{ socket: Socket; received: SipMessage[] }> {
  const socket = createSocket('udp4');
  const received: SipMessage[] = [];
  socket.on('message', (data) => received.push(parseSipMessage(data)));
  await new Promise<void>((resolve) => socket.bind(port, ip, resolve));
  return { socket, received };
}

t.test('a forward to an address no peer has: the audit line shows no user of its URI', async (t) => {
  const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, port: PORT, calleePort: 18171 }));
  const core = await bind('127.0.0.1', 0);
  const elsewhere = await bind('127.0.0.9', ELSEWHERE_PORT);
  t.teardown(async () => {
    core.socket.close();
    elsewhere.socket.close();
    await guard.stop();
  });
  const corePort = core.socket.address().port;
  const invite = [
    `INVITE sip:+15550001234@127.0.0.9:${ELSEWHERE_PORT} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${corePort};branch=z9hG4bK-audit-dest`,
    'Max-Forwards: 70',
    'From: <sip:alice@ims.example.net>;tag=audit-dest',
    'To: <sip:+15550001234@ims.example.net>',
    'Call-ID: audit-dest',
    'CSeq: 1 INVITE',
    `Route: <sip:+15550001234@127.0.0.9:${ELSEWHERE_PORT};lr>`,
    `Contact: <sip:alice@127.0.0.1:${corePort}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  core.socket.send(invite, PORT, GUARD_IP);
  for (let waited = 0; elsewhere.received.length === 0 && waited < 3_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.ok(elsewhere.received.length > 0, 'the core’s INVITE went to the address it named');
  const line = guard.logs.find((l) => l.msg === 'decision' && (l.callIds as { in?: string } | undefined)?.in === 'audit-dest');
  t.ok(line !== undefined, 'with its decision line');
  t.notMatch(JSON.stringify(line), /15550001234/, 'no user of the destination in clear');
  t.equal(line?.to, `127.0.0.9:${ELSEWHERE_PORT}`, 'the destination shown as the host and port it went to');
});
