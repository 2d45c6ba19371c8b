import { createSocket } from 'node:dgram';
import t, { type Test } from 'tap';
import { startGuard, wireProfile, type RunningGuard } from '../helpers/guard-harness.ts';
import { SIPP_AVAILABLE, runSipp, settle, type SippResult } from '../helpers/sipp.ts';

// SIPp call flows through the embedded front end: sipp plays the core on 127.0.0.1 (caller)
// and 127.0.0.2 (callee), and weather-as on 127.0.0.3; the guard listens on 127.0.0.10.
const GUARD_IP = '127.0.0.10';
const skip = SIPP_AVAILABLE ? false : 'sipp is not installed (Debian package sip-tester)';
let nextPort = 16000;

interface Flow {
  readonly uac: string;
  readonly uas: string | null;
  readonly from: string;
  readonly transport?: 'u1' | 't1';
  readonly onUnauthorizedDc?: 'strip' | 'reject';
}

async function runFlow(t: Test, flow: Flow): Promise<{ uac: SippResult; uas: SippResult | null; guard: RunningGuard }> {
  const port = (nextPort += 10);
  const calleePort = port + 2;
  const tcp = flow.transport === 't1';
  const guard = await startGuard(
    wireProfile({ guardIp: GUARD_IP, port, calleePort, onUnauthorizedDc: flow.onUnauthorizedDc, calleeTransport: tcp ? 'tcp' : 'udp' }),
  );
  t.teardown(() => guard.stop());
  const uasRun =
    flow.uas === null ? null : runSipp({ scenario: flow.uas, localIp: '127.0.0.2', localPort: calleePort, transport: flow.transport });
  await settle();
  const uac = await runSipp({ scenario: flow.uac, localIp: flow.from, localPort: port + 1, remote: `${GUARD_IP}:${port}`, transport: flow.transport });
  const uas = uasRun === null ? null : await uasRun;
  return { uac, uas, guard };
}

function passed(t: Test, name: string, result: SippResult | null): void {
  if (result !== null) {
    t.equal(result.code, 0, `${name} sipp passed every check`, { errors: result.errors, output: result.output.slice(-3000) });
  }
}

t.test('a trusted call with a bootstrap DC passes untouched (UDP)', { skip }, async (t) => {
  const { uac, uas, guard } = await runFlow(t, { uac: 'uac-trusted-bootstrap-expect-200.xml', uas: 'uas-expect-bootstrap-untouched.xml', from: '127.0.0.1' });
  passed(t, 'caller', uac);
  passed(t, 'callee', uas);
  t.equal(guard.store.size, 0, 'the ended call left no state');
  t.ok(guard.logs.some((l) => l.msg === 'decision' && l.from === 'core' && l.action === 'forward'), 'one decision line for the call');
});

t.test('the same trusted call over TCP', { skip }, async (t) => {
  const { uac, uas } = await runFlow(t, {
    uac: 'uac-trusted-bootstrap-expect-200.xml',
    uas: 'uas-expect-bootstrap-untouched.xml',
    from: '127.0.0.1',
    transport: 't1',
  });
  passed(t, 'caller', uac);
  passed(t, 'callee', uas);
});

t.test('an untrusted AS INVITE with an ungranted app DC reaches the callee at port 0; the AS gets a valid answer', { skip }, async (t) => {
  const { uac, uas, guard } = await runFlow(t, { uac: 'uac-as-ungranted-app-expect-port0.xml', uas: 'uas-expect-dc-refused-then-bye.xml', from: '127.0.0.3' });
  passed(t, 'AS', uac);
  passed(t, 'callee', uas);
  const decision = guard.logs.find((l) => l.msg === 'decision' && l.from === 'weather-as' && l.message === 'INVITE');
  t.match(decision, { action: 'forward', reasons: [{ code: 'dc.app-not-granted', appId: 'com.example.ads' }] });
});

t.test('with on_unauthorized_dc: reject the same INVITE gets 403', { skip }, async (t) => {
  const { uac } = await runFlow(t, { uac: 'uac-as-ungranted-app-expect-403.xml', uas: null, from: '127.0.0.3', onUnauthorizedDc: 'reject' });
  passed(t, 'AS', uac);
});

t.test('a granted app DC passes; an ungranted re-INVITE gets 488 and a BYE without terminate 403; the callee ends the call', { skip }, async (t) => {
  const { uac, uas, guard } = await runFlow(t, { uac: 'uac-as-granted-app-reinvite-expect-488.xml', uas: 'uas-expect-granted-app-then-bye.xml', from: '127.0.0.3' });
  passed(t, 'AS', uac);
  passed(t, 'callee', uas);
  t.equal(guard.store.size, 0);
});

t.test('CANCEL of a ringing call', { skip }, async (t) => {
  const { uac, uas, guard } = await runFlow(t, { uac: 'uac-core-cancel-expect-487.xml', uas: 'uas-ring-expect-cancel.xml', from: '127.0.0.1' });
  passed(t, 'caller', uac);
  passed(t, 'callee', uas);
  t.equal(guard.store.size, 0);
});

t.test('an unknown peer gets 403', { skip }, async (t) => {
  const { uac } = await runFlow(t, { uac: 'uac-unknown-peer-expect-403.xml', uas: null, from: '127.0.0.9' });
  passed(t, 'unknown peer', uac);
});

t.test('malformed requests get 400 and the next good call works', { skip }, async (t) => {
  const port = (nextPort += 10);
  const calleePort = port + 2;
  const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, port, calleePort }));
  t.teardown(() => guard.stop());
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());
  const replies: string[] = [];
  socket.on('message', (msg) => replies.push(msg.toString('utf8')));
  const localPort = socket.address().port;
  const malformed = [
    `INVITE sip:bob@ims.example.net SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-m1\r\nCall-ID: m1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
    `INVITE sip:bob@ims.example.net SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-m2\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: m2\r\nCSeq: one INVITE\r\nContent-Length: 0\r\n\r\n`,
    `INVITE sip:bob@ims.example.net SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-m3\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: m3\r\nCSeq: 1 INVITE\r\nContent-Length: 500\r\n\r\nv=0\r\n`,
  ];
  for (const text of malformed) {
    socket.send(text, port, GUARD_IP);
  }
  socket.send(Buffer.from([0xff, 0x00, 0x13, 0x37]), port, GUARD_IP);
  await settle(500);
  t.equal(replies.length, 3, 'one answer per malformed request that still names its transaction; garbage is dropped');
  for (const reply of replies) {
    t.match(reply, /^SIP\/2\.0 400 /, 'answered 400');
  }
  const uasRun = runSipp({ scenario: 'uas-expect-bootstrap-untouched.xml', localIp: '127.0.0.2', localPort: calleePort });
  await settle();
  const uac = await runSipp({ scenario: 'uac-trusted-bootstrap-expect-200.xml', localIp: '127.0.0.1', localPort: port + 1, remote: `${GUARD_IP}:${port}` });
  passed(t, 'caller', uac);
  passed(t, 'callee', await uasRun);
});
