import { createSocket } from 'node:dgram';
import t from 'tap';
import { defineCapabilityFlows } from '../helpers/capability-flows.ts';
import { embeddedFrontEnd } from '../helpers/embedded-front-end.ts';
import { defineCallFlows } from '../helpers/flow-suite.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';
import { defineStandaloneDcFlows } from '../helpers/standalone-dc-flows.ts';
import { SIPP_AVAILABLE, runSipp, settle } from '../helpers/sipp.ts';

// SIPp call flows through the embedded front end: sipp plays the core on 127.0.0.1 (caller)
// and 127.0.0.2 (callee), and weather-as on 127.0.0.3; the guard listens on 127.0.0.10.
// The same flows run through the drachtio front end in drachtio-flows.test.ts.
const GUARD_IP = '127.0.0.10';
const skip = SIPP_AVAILABLE ? false : 'sipp is not installed (Debian package sip-tester)';

const embedded = embeddedFrontEnd(GUARD_IP);

defineCallFlows(t, () => embedded, { skip, firstPort: 16010 });
defineStandaloneDcFlows(t, () => embedded, { skip, firstPort: 34710 });
defineCapabilityFlows(t, () => embedded, { skip, firstPort: 16310 });

// Embedded only: with drachtio, drachtio-server's own parser answers or drops malformed input
// before any application sees it, so this tests the guard's parser and transaction layer.
t.test('malformed requests get 400 and the next good call works', { skip }, async (t) => {
  const port = 16200;
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
  t.equal(uac.code, 0, 'caller sipp passed every check', { errors: uac.errors, output: uac.output.slice(-3000) });
  const uas = await uasRun;
  t.equal(uas.code, 0, 'callee sipp passed every check', { errors: uas.errors, output: uas.output.slice(-3000) });
});
