/**
 * RFC 4475 torture messages sent to the embedded transport over loopback: the valid "wsinv" is
 * delivered, "badinv01" is answered 400 and "badvers" 505 (RFC 3261 8.2, 21.5.6), over UDP and
 * TCP. The Via sent-by of each is pointed at the test peer so the answer can come back to it
 * (18.2.2); nothing else in the messages is changed.
 */
import t from 'tap';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { tagOf } from '../../src/sip/dialog-tags.ts';
import { BADINV01, BADVERS, WSINV } from '../sip/fixtures/rfc4475.ts';
import { RawTcp, RawUdp, TestTransport, rawRequest } from './fixtures/loopback-peers.ts';

async function startGuard(t: { teardown(fn: () => Promise<void>): void }): Promise<{ guard: TestTransport; udpPort: number; tcpPort: number }> {
  const guard = await TestTransport.start({
    listen: [
      { transport: 'udp', host: '127.0.0.1', port: 0 },
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
    ],
  });
  t.teardown(async () => guard.transport.close());
  return { guard, udpPort: guard.transport.localEndpoints[0]?.port ?? 0, tcpPort: guard.transport.localEndpoints[1]?.port ?? 0 };
}

function header(text: string, name: string): string | undefined {
  return parseSipMessage(text).headers.find((h) => h.name === name)?.value;
}

t.test('UDP: wsinv is delivered, badinv01 answered 400, badvers answered 505', async (t) => {
  const { guard, udpPort } = await startGuard(t);
  const peer = await RawUdp.bind('127.0.0.2');
  t.teardown(async () => peer.close());
  const here = `127.0.0.2:${peer.port}`;

  await peer.send(WSINV, udpPort, '127.0.0.1');
  const got = await guard.next();
  t.equal(got.message.kind, 'request', 'the valid tortuous INVITE reaches the layer above');
  t.equal(tagOf(got.message.headers.find((h) => h.name === 'To')?.value), '1918181833n');

  await peer.send(BADINV01.replace('SIP/2.0/UDP 192.0.2.15;;,;,,', `SIP/2.0/UDP ${here};;,;,,`), udpPort, '127.0.0.1');
  const bad = parseSipMessage(await peer.receive());
  t.equal(bad.kind === 'response' ? bad.status : 0, 400, 'badinv01: 400, not silence');
  t.equal(bad.headers.find((h) => h.name === 'Call-ID')?.value, 'badinv01.0ha0isndaksdjasdf3234nas');
  t.equal(bad.headers.find((h) => h.name === 'Via')?.value, `SIP/2.0/UDP ${here}`);

  await peer.send(BADVERS.replace('c.example.com;', `${here};`), udpPort, '127.0.0.1');
  const vers = await peer.receive();
  t.match(vers, /^SIP\/2\.0 505 Version Not Supported/, 'badvers: 505 Version Not Supported');
  t.equal(header(vers, 'Call-ID'), 'badvers.31417@c.example.com');
  t.equal(header(vers, 'CSeq'), '1 OPTIONS');
  t.match(header(vers, 'To') ?? '', /;tag=/);

  const sipSeven = rawRequest({ method: 'INVITE', via: `SIP/2.0/UDP ${here};branch=z9hG4bKseven` }).replace(' SIP/2.0\r\n', ' SIP/7.0\r\n');
  await peer.send(sipSeven, udpPort, '127.0.0.1');
  t.match(await peer.receive(), /^SIP\/2\.0 505 /, 'a SIP/7.0 INVITE: 505 too');
  t.equal(guard.queued, 0, 'none of the refused ones went up');
  t.ok(guard.errors.some((e) => e.kind === 'message-refused' && e.detail.startsWith('answered 505')));
});

t.test('TCP: badvers answered 505 and badinv01 400 on the connection, which stays usable', async (t) => {
  const { guard, tcpPort } = await startGuard(t);
  const peer = await RawTcp.connect(tcpPort, '127.0.0.1', '127.0.0.2');
  t.teardown(async () => peer.destroy());
  await peer.write(BADVERS.replace('SIP/7.0/UDP c.example.com', 'SIP/7.0/TCP c.example.com'));
  await peer.until((d) => d.includes('SIP/2.0 505 '), 'the 505');
  await peer.write(BADINV01.replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
  await peer.until((d) => d.includes('SIP/2.0 400 '), 'the 400');
  await peer.write(rawRequest({ via: 'SIP/2.0/TCP 127.0.0.2:5060;branch=z9hG4bKafter', callId: 'after-torture' }));
  const next = await guard.next();
  t.equal(next.message.headers.find((h) => h.name === 'Call-ID')?.value, 'after-torture', 'the next message is read');
  t.notOk(peer.ended);
});
