import { createSocket, type Socket } from 'node:dgram';
import t from 'tap';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { SipMessage } from '../../src/sip/sip-message.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';

const GUARD_IP = '127.0.0.14';
const CALLEE_PORT = 18162;

async function bind(ip: string, port: number): Promise<{ socket: Socket; received: SipMessage[] }> {
  const socket = createSocket('udp4');
  const received: SipMessage[] = [];
  socket.on('message', (data) => received.push(parseSipMessage(data)));
  await new Promise<void>((resolve) => socket.bind(port, ip, resolve));
  return { socket, received };
}

function invite(callId: string, localPort: number, caller = 'alice'): string {
  return [
    'INVITE sip:bob@ims.example.net SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${callId}`,
    'Max-Forwards: 70',
    `From: <sip:${caller}@ims.example.net>;tag=${callId}`,
    'To: <sip:bob@ims.example.net>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `P-Asserted-Identity: <sip:${caller}@ims.example.net>`,
    `Contact: <sip:${caller}@127.0.0.1:${localPort}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const until = async (check: () => boolean, ms = 3_000): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
};

const decisionOf = (logs: Record<string, unknown>[], callId: string): Record<string, unknown> | undefined =>
  logs.find((l) => l.msg === 'decision' && (l.callIds as { in?: string } | undefined)?.in === callId);

t.test('each decision line carries both Call-IDs and the users as pseudonyms: the same user reads the same, no identity in clear', async (t) => {
  const port = 18160;
  const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, port, calleePort: CALLEE_PORT }));
  const caller = await bind('127.0.0.1', 0);
  const callee = await bind('127.0.0.2', CALLEE_PORT);
  t.teardown(async () => {
    caller.socket.close();
    callee.socket.close();
    await guard.stop();
  });
  const callerPort = caller.socket.address().port;
  for (const [callId, user] of [['audit-1', 'alice'], ['audit-2', 'alice'], ['audit-3', 'carol']] as const) {
    caller.socket.send(invite(callId, callerPort, user), port, GUARD_IP);
    t.ok(await until(() => decisionOf(guard.logs, callId) !== undefined), `${callId} has its decision line`);
  }
  const [first, second, third] = ['audit-1', 'audit-2', 'audit-3'].map((id) => decisionOf(guard.logs, id) ?? {});
  // The callee's leg has a Call-ID of the guard's making: the line names both.
  const forwarded = callee.received.find((m) => m.kind === 'request' && m.method === 'INVITE');
  const outCallId = forwarded?.headers.find((h) => h.name === 'Call-ID')?.value ?? 'not forwarded';
  t.not(outCallId, 'audit-1');
  t.strictSame(first?.callIds, { in: 'audit-1', out: outCallId }, 'both legs');
  const users = (line: Record<string, unknown> | undefined): { caller: string; callee: string } => line?.users as { caller: string; callee: string };
  t.match(users(first).caller, /^u-[a-z2-7]{20,}$/, 'the caller as a pseudonym');
  t.equal(users(first).caller, users(second).caller, 'the same caller reads the same in two calls');
  t.not(users(third).caller, users(first).caller, 'another caller reads differently');
  t.equal(users(first).callee, users(third).callee, 'the same callee');
  t.notMatch(JSON.stringify(guard.logs), /alice|carol|bob@/, 'no identity in clear anywhere in the log');
  t.match(first, { from: 'core', to: 'core', message: 'INVITE', action: 'forward', status: null, reasons: [] }, 'with peers, method, action');
});

t.test('audit.identities: clear shows the users as they are', async (t) => {
  const port = 18164;
  const guard = await startGuard(`${wireProfile({ guardIp: GUARD_IP, port, calleePort: CALLEE_PORT + 10 })}audit: { identities: clear }\n`);
  const caller = await bind('127.0.0.1', 0);
  const callee = await bind('127.0.0.2', CALLEE_PORT + 10);
  t.teardown(async () => {
    caller.socket.close();
    callee.socket.close();
    await guard.stop();
  });
  caller.socket.send(invite('audit-clear', caller.socket.address().port), port, GUARD_IP);
  t.ok(await until(() => decisionOf(guard.logs, 'audit-clear') !== undefined));
  t.strictSame(decisionOf(guard.logs, 'audit-clear')?.users, { caller: 'sip:alice@ims.example.net', callee: 'sip:bob@ims.example.net' });
});

t.test('the responses the guard makes up are audit lines: 503 while draining, 503 when the next hop cannot be reached', async (t) => {
  const port = 18168;
  // Over TCP to a port nobody listens on: the connection is refused at once.
  const profile = wireProfile({ guardIp: GUARD_IP, port, calleePort: CALLEE_PORT + 20, calleeTransport: 'tcp' });
  const guard = await startGuard(profile);
  const caller = await bind('127.0.0.1', 0);
  t.teardown(() => caller.socket.close());
  const callerPort = caller.socket.address().port;
  caller.socket.send(invite('audit-unreachable', callerPort), port, GUARD_IP);
  const generated = (callId: string): Record<string, unknown> | undefined =>
    guard.logs.find((l) => l.msg === 'guard response' && (l.callIds as { in?: string }).in === callId);
  t.ok(await until(() => generated('audit-unreachable') !== undefined, 10_000), 'the 503 for an unreachable next hop is logged');
  t.match(generated('audit-unreachable'), { message: 'INVITE', status: 503, cause: 'unreachable', callIds: { out: /^(?!audit-)/ } }, 'with the Call-ID of the leg it stands for');
  t.ok(await until(() => caller.received.some((m) => m.kind === 'response' && m.status === 503)), 'and sent');

  const stopping = guard.guard.stop(1_000);
  caller.socket.send(invite('audit-draining', callerPort), port, GUARD_IP);
  t.ok(await until(() => generated('audit-draining') !== undefined), 'the 503 while draining is logged');
  t.match(generated('audit-draining'), { message: 'INVITE', status: 503, cause: 'draining' });
  await stopping;
});
