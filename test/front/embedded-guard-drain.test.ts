import { createSocket, type Socket } from 'node:dgram';
import t from 'tap';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { SipMessage, SipRequest } from '../../src/sip/sip-message.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';
import { responseTo } from '../helpers/controller-fixture.ts';

const GUARD_IP = '127.0.0.12';
const PORT = 18060;
const CALLEE_PORT = 18062;

async function bind(ip: string, port: number): Promise<{ socket: Socket; received: SipMessage[] }> {
  const socket = createSocket('udp4');
  const received: SipMessage[] = [];
  socket.on('message', (data) => received.push(parseSipMessage(data)));
  await new Promise<void>((resolve) => socket.bind(port, ip, resolve));
  return { socket, received };
}

function invite(callId: string, localPort: number): string {
  return [
    'INVITE sip:bob@ims.example.net SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${callId}`,
    'Max-Forwards: 70',
    `From: <sip:alice@ims.example.net>;tag=${callId}`,
    'To: <sip:bob@ims.example.net>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@127.0.0.1:${localPort}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const until = async (check: () => boolean, ms = 2_000): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
};

t.test('stop() drains: new calls get 503, the call in progress still gets its answer', async (t) => {
  const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, port: PORT, calleePort: CALLEE_PORT }));
  const caller = await bind('127.0.0.1', 0);
  const callee = await bind('127.0.0.2', CALLEE_PORT);
  t.teardown(() => {
    caller.socket.close();
    callee.socket.close();
  });
  const callerPort = caller.socket.address().port;
  caller.socket.send(invite('drain-1', callerPort), PORT, GUARD_IP);
  t.ok(await until(() => callee.received.some((m) => m.kind === 'request' && m.method === 'INVITE')), 'the first call reached the callee');

  const stopping = guard.guard.stop(3_000);
  caller.socket.send(invite('drain-2', callerPort), PORT, GUARD_IP);
  t.ok(await until(() => caller.received.some((m) => m.kind === 'response' && m.status === 503)), 'a new call while draining gets 503');
  const refused = caller.received.find((m) => m.kind === 'response' && m.status === 503);
  t.match(refused?.headers.find((h) => h.name === 'Retry-After')?.value ?? '', /^\d+$/);

  const forwardedInvite = callee.received.find((m): m is SipRequest => m.kind === 'request' && m.method === 'INVITE');
  if (forwardedInvite !== undefined) {
    callee.socket.send(responseTo(forwardedInvite, 486, 'Busy Here'), PORT, GUARD_IP);
  }
  t.ok(await until(() => caller.received.some((m) => m.kind === 'response' && m.status === 486)), 'the call in progress still got its final answer');
  await stopping;
  t.pass('stopped');
});
