/** Pure units: responseDestination (RFC 3261 18.2.2, RFC 3581), annotateTopVia (18.2.1), salvageResponse. */
import t from 'tap';
import type { SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import { annotateTopVia } from '../../src/transport/annotate-via.ts';
import { endpointKey } from '../../src/transport/endpoint.ts';
import { responseDestination } from '../../src/transport/response-destination.ts';
import { reasonPhrase, salvageResponse } from '../../src/transport/salvage-response.ts';

function res(...vias: string[]): SipResponse {
  return { kind: 'response', status: 200, reason: 'OK', headers: vias.map((value) => ({ name: 'Via', value })), body: '' };
}

t.test('responseDestination over UDP', async (t) => {
  t.same(responseDestination(res('SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1'), 'udp'), { address: '192.0.2.1', port: 5070, transport: 'udp' }, 'sent-by');
  t.same(responseDestination(res('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1'), 'udp'), { address: '192.0.2.1', port: 5060, transport: 'udp' }, 'default port');
  t.same(
    responseDestination(res('SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;received=198.51.100.2'), 'udp'),
    { address: '198.51.100.2', port: 5070, transport: 'udp' },
    'received, sent-by port',
  );
  t.same(
    responseDestination(res('SIP/2.0/UDP 10.0.0.1:5070;rport=41000;branch=z9hG4bK1;received=198.51.100.2'), 'udp'),
    { address: '198.51.100.2', port: 41000, transport: 'udp' },
    'received + rport (RFC 3581 4)',
  );
  t.same(
    responseDestination(res('SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bK1;received=198.51.100.2'), 'udp'),
    { address: '198.51.100.2', port: 5070, transport: 'udp' },
    'rport without value ignored',
  );
  t.same(
    responseDestination(res('SIP/2.0/UDP 10.0.0.1:5070;maddr=239.1.1.1;received=198.51.100.2;rport=4'), 'udp'),
    { address: '198.51.100.2', port: 4, transport: 'udp' },
    'maddr ignored: a peer may not point the guard\'s responses at a third party',
  );
  t.same(
    responseDestination(res('SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1', 'SIP/2.0/UDP 192.0.2.9'), 'udp'),
    { address: '2001:db8::1', port: 5070, transport: 'udp' },
    'IPv6 unbracketed, top Via only',
  );
  t.same(
    responseDestination(res('SIP/2.0/UDP pcscf.example.net;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.9'), 'udp'),
    { address: 'pcscf.example.net', port: 5060, transport: 'udp' },
    'host name; first of a comma list',
  );
  t.same(
    responseDestination(res('SIP/2.0/UDP [2001:db8::1];received=2001:db8::99;rport=7000'), 'udp'),
    { address: '2001:db8::99', port: 7000, transport: 'udp' },
  );
});

t.test('responseDestination over TCP: fallback address for a new connection', async (t) => {
  t.same(
    responseDestination(res('SIP/2.0/TCP 10.0.0.1:5070;rport=41000;received=198.51.100.2;branch=z9hG4bK1'), 'tcp'),
    { address: '198.51.100.2', port: 5070, transport: 'tcp' },
    'received and sent-by port; the ephemeral rport is not a listener',
  );
  t.same(responseDestination(res('SIP/2.0/TCP h.example.com;branch=z9hG4bK1'), 'tcp'), { address: 'h.example.com', port: 5060, transport: 'tcp' });
});

t.test('responseDestination without a usable Via throws', async (t) => {
  t.throws(() => responseDestination(res(), 'udp'), { name: 'SipParseError' });
  t.throws(() => responseDestination(res('garbage'), 'udp'), { name: 'SipParseError' });
});

function viaOf(text: string, source: { address: string; port: number }): string | undefined {
  const msg = parseSipMessage(`OPTIONS sip:x@example.com SIP/2.0\r\nVia: ${text}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@example.com>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n`);
  annotateTopVia(msg, { ...source, transport: 'udp' });
  return msg.headers.find((h) => h.name === 'Via')?.value;
}

t.test('annotateTopVia: received when the host differs, rport filled (RFC 3261 18.2.1, RFC 3581 4)', async (t) => {
  const src = { address: '198.51.100.7', port: 40000 };
  t.equal(viaOf('SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1', src), 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1', 'same host: unchanged');
  t.equal(viaOf('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1', src), 'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;received=198.51.100.7');
  t.equal(viaOf('SIP/2.0/UDP ue.example.com;branch=z9hG4bK1', src), 'SIP/2.0/UDP ue.example.com;branch=z9hG4bK1;received=198.51.100.7', 'host name');
  t.equal(
    viaOf('SIP/2.0/UDP 198.51.100.7:5060;rport;branch=z9hG4bK1', src),
    'SIP/2.0/UDP 198.51.100.7:5060;rport=40000;branch=z9hG4bK1;received=198.51.100.7',
    'rport: filled, and received added even for the same host',
  );
  t.equal(viaOf('SIP/2.0/UDP 10.0.0.5;received=1.2.3.4;branch=z9hG4bK1', src), 'SIP/2.0/UDP 10.0.0.5;received=198.51.100.7;branch=z9hG4bK1', 'received overwritten');
  t.equal(
    viaOf('SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.6;branch=z9hG4bK2', src),
    'SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1;received=198.51.100.7, SIP/2.0/UDP 10.0.0.6;branch=z9hG4bK2',
    'only the top value of a list',
  );
  t.equal(viaOf('SIP/2.0/UDP [2001:DB8::7];branch=z9hG4bK1', { address: '2001:db8::7', port: 1 }), 'SIP/2.0/UDP [2001:DB8::7];branch=z9hG4bK1', 'IPv6 compared unbracketed');
  t.equal(viaOf('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1', { address: '::ffff:127.0.0.1', port: 1 }), 'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1', 'IPv4-mapped source');
});

t.test('endpointKey normalises hosts', async (t) => {
  t.equal(endpointKey({ address: '[2001:DB8::1]', port: 5060, transport: 'tcp' }), endpointKey({ address: '2001:db8::1', port: 5060, transport: 'tcp' }));
  t.not(endpointKey({ address: '1.2.3.4', port: 5060, transport: 'tcp' }), endpointKey({ address: '1.2.3.4', port: 5060, transport: 'udp' }));
});

const BROKEN = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKbad',
  'Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKup',
  'From: <sip:alice@example.com>;tag=a1',
  'To: <sip:bob@example.com>',
  'Call-ID: broken-1',
  'CSeq: 7 INVITE',
  'Contact: <<<garbage',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

t.test('salvageResponse echoes Via/From/To/Call-ID/CSeq and tags To', async (t) => {
  const r = salvageResponse(BROKEN, 400, 'bad Contact header: "<<<garbage"');
  t.ok(r);
  if (r === null) {
    return;
  }
  t.equal(r.status, 400);
  t.equal(r.reason, "bad Contact header: '<<<garbage'".replace(/[<>]/g, "'"), 'reason sanitised to Reason-Phrase characters');
  t.same(
    r.headers.map((h) => h.name),
    ['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq'],
  );
  t.match(r.headers.find((h) => h.name === 'To')?.value ?? '', /^<sip:bob@example\.com>;tag=[0-9a-f]{12}$/);
  t.doesNotThrow(() => parseSipMessage(serializeSipMessage(r)), 'the answer itself is well-formed');
});

t.test('salvageResponse gives up when the answer could not be routed or matched', async (t) => {
  t.equal(salvageResponse(BROKEN.replace('Call-ID: broken-1\r\n', ''), 400, 'x'), null, 'no Call-ID');
  t.equal(salvageResponse(BROKEN.replace('CSeq: 7 INVITE\r\n', ''), 400, 'x'), null, 'no CSeq');
  t.equal(
    salvageResponse(BROKEN.replace('CSeq: 7 INVITE', 'CSeq: seven INVITE'), 400, 'x')?.headers.find((h) => h.name === 'CSeq')?.value,
    'seven INVITE',
    'a CSeq that does not parse is echoed as written',
  );
  t.equal(salvageResponse(BROKEN.replace('CSeq: 7 INVITE', 'CSeq: 7 ACK'), 400, 'x'), null, 'ACK by CSeq');
  t.equal(salvageResponse(BROKEN.replace('Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKbad', 'Via: nonsense'), 400, 'x'), null, 'top Via unusable');
  t.equal(salvageResponse(BROKEN.replace('INVITE sip', 'ACK sip').replace('7 INVITE', '7 ACK'), 400, 'x'), null, 'ACK never answered');
  t.equal(salvageResponse('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n', 400, 'x'), null, 'a response');
  t.equal(salvageResponse('\u0000\u0001garbage', 400, 'x'), null, 'binary');
  t.ok(salvageResponse(`\r\n\r\n${BROKEN}`, 400, 'x'), 'leading CRLFs skipped');
  t.ok(salvageResponse(BROKEN.replace('To: <sip:bob@example.com>', 'To: <sip:bob@example.com>;tag=given'), 400, 'x')?.headers.some((h) => h.value.endsWith(';tag=given')));
});

t.test('reasonPhrase keeps the grammar and a bounded length', async (t) => {
  t.equal(reasonPhrase('missing Call-ID header'), 'missing Call-ID header');
  t.equal(reasonPhrase('a"b\\c'), "a'b'c");
  t.equal(reasonPhrase('x'.repeat(500)).length, 120);
  t.equal(reasonPhrase(''), 'Bad Request');
});
