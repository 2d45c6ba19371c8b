import t from 'tap';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';
import { bindUdp, coreInviteText, until } from '../helpers/raw-udp.ts';
import { responseTo } from '../helpers/controller-fixture.ts';

const GUARD_IP = '127.0.0.12';
const PORT = 18060;
const CALLEE_PORT = 18062;

t.test('stop() drains: new calls get 503, the call in progress still gets its answer', async (t) => {
  const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, port: PORT, calleePort: CALLEE_PORT }));
  const caller = await bindUdp('127.0.0.1', 0);
  const callee = await bindUdp('127.0.0.2', CALLEE_PORT);
  t.teardown(() => {
    caller.socket.close();
    callee.socket.close();
  });
  const callerPort = caller.socket.address().port;
  caller.socket.send(coreInviteText('drain-1', callerPort), PORT, GUARD_IP);
  t.ok(await until(() => callee.received.some((m) => m.kind === 'request' && m.method === 'INVITE')), 'the first call reached the callee');

  const stopping = guard.guard.stop(3_000);
  caller.socket.send(coreInviteText('drain-2', callerPort), PORT, GUARD_IP);
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
