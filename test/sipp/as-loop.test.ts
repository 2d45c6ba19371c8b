import t from 'tap';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';
import { ScriptedAs } from '../helpers/scripted-as.ts';
import { SIPP_AVAILABLE, runSipp, settle } from '../helpers/sipp.ts';

const skip = SIPP_AVAILABLE ? false : 'sipp is not installed (Debian package sip-tester)';

t.test('a call handed to an untrusted AS arrives there pseudonymised and comes back with the real identities', { skip }, async (t) => {
  const guardIp = '127.0.0.11';
  const port = 17060;
  const calleePort = 17062;
  const asPort = 17063;
  const guard = await startGuard(wireProfile({ guardIp, port, calleePort, asPort }));
  t.teardown(() => guard.stop());
  const as = await ScriptedAs.start('127.0.0.3', asPort);
  t.teardown(() => as.close());

  const uas = runSipp({ scenario: 'uas-expect-real-identity.xml', localIp: '127.0.0.2', localPort: calleePort });
  await settle();
  const uac = await runSipp({
    scenario: 'uac-core-via-as-expect-200.xml',
    localIp: '127.0.0.1',
    localPort: port + 1,
    remote: `${guardIp}:${port}`,
    extraArgs: ['-key', 'route', `<sip:${guardIp}:${port};lr;as=weather-as>, <sip:127.0.0.2:${calleePort};lr>`],
  });
  const callee = await uas;
  t.equal(uac.code, 0, 'caller sipp passed (got the callee\'s real PAI back)', { errors: uac.errors });
  t.equal(callee.code, 0, 'callee sipp passed (got the caller\'s real identities)', { errors: callee.errors });

  const invite = as.received.find((m): m is SipRequest => m.kind === 'request' && m.method === 'INVITE');
  t.ok(invite, 'the AS got the INVITE');
  const seen = invite === undefined ? '' : serializeSipMessage(invite);
  t.notMatch(seen, /alice|15550002222|Alice/, 'no identity of either party reached the AS');
  t.match(seen, /P-Asserted-Identity: <sip:dcg-[a-z2-7]+@pseudonym\.invalid>/);
  const answer = as.received.find((m) => m.kind === 'response' && m.status === 200);
  t.notMatch(answer === undefined ? '' : serializeSipMessage(answer), /15550002222|o=bob/, 'nor of the callee in its answer');
  t.equal(guard.store.size, 0, 'both hops ended');
});
