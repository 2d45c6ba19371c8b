/** Whole messages: header accessors, parser, serializer, round trips. */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { SipMessage, SipRequest } from '../../src/sip/sip-message.ts';
import { appendHeader, getHeader, getHeaderValues, hasHeader, prependHeader, removeHeader, setHeader } from '../../src/sip/sip-headers.ts';
import { SipParseError } from '../../src/sip/sip-parse-error.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { encodeSipMessage, serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import { ANSWER_SDP, COMPACT_INVITE, FOLDED_OPTIONS, INVITE, OFFER_SDP, OK_200, parseErrorOf, sipMessage } from './fixtures/sip-fixtures.ts';

function sampleRequest(): SipRequest {
  return {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:bob@ims.example.com',
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2' },
      { name: 'Max-Forwards', value: '70' },
      { name: 'Route', value: '<sip:a.example;lr>' },
      { name: 'Via', value: 'SIP/2.0/TCP [2001:db8::3]:5060;branch=z9hG4bK3' },
      { name: 'X-Trace', value: 'one' },
      { name: 'Route', value: '<sip:b.example;lr>, <sip:c.example;lr>' },
      { name: 'P-Asserted-Identity', value: '"Smith, J" <sip:js@h>, <tel:+1555>' },
      { name: 'Content-Length', value: '0' },
    ],
    body: '',
  };
}

function names(msg: SipRequest): string[] {
  return msg.headers.map((h) => `${h.name}: ${h.value}`);
}

t.test('getHeader matches names case-insensitively and via compact forms', async (t) => {
  const msg = sampleRequest();
  t.equal(getHeader(msg, 'Via'), 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2');
  t.equal(getHeader(msg, 'v'), getHeader(msg, 'Via'));
  t.equal(getHeader(msg, 'VIA'), getHeader(msg, 'Via'));
  t.equal(getHeader(msg, 'l'), '0');
  t.equal(getHeader(msg, 'x-trace'), 'one');
  t.equal(getHeader(msg, 'Contact'), undefined);
  t.ok(hasHeader(msg, 'max-forwards'));
  t.ok(hasHeader(msg, 'X-TRACE'));
  t.notOk(hasHeader(msg, 'm'));
});

t.test('a header stored under a compact or odd-case name is still found', async (t) => {
  const msg = sampleRequest();
  msg.headers.push({ name: 'k', value: '100rel' }, { name: 'x-trace', value: 'two' });
  t.same(getHeaderValues(msg, 'Supported'), ['100rel']);
  t.same(getHeaderValues(msg, 'X-Trace'), ['one', 'two']);
});

t.test('getHeaderValues splits every line on list commas', async (t) => {
  const msg = sampleRequest();
  t.same(getHeaderValues(msg, 'v'), [
    'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1',
    'SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2',
    'SIP/2.0/TCP [2001:db8::3]:5060;branch=z9hG4bK3',
  ]);
  t.same(getHeaderValues(msg, 'route'), ['<sip:a.example;lr>', '<sip:b.example;lr>', '<sip:c.example;lr>']);
  t.same(getHeaderValues(msg, 'P-Asserted-Identity'), ['"Smith, J" <sip:js@h>', '<tel:+1555>']);
  t.same(getHeaderValues(msg, 'Record-Route'), []);
});

t.test('setHeader replaces all lines at the position of the first', async (t) => {
  const msg = sampleRequest();
  const before = msg.headers;
  const first = msg.headers[0];
  setHeader(msg, 'route', '<sip:only.example;lr>');
  t.equal(msg.headers, before, 'same array');
  t.same(names(msg), [
    'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2',
    'Max-Forwards: 70',
    'Route: <sip:only.example;lr>',
    'Via: SIP/2.0/TCP [2001:db8::3]:5060;branch=z9hG4bK3',
    'X-Trace: one',
    'P-Asserted-Identity: "Smith, J" <sip:js@h>, <tel:+1555>',
    'Content-Length: 0',
  ]);
  t.equal(msg.headers[0], first, 'untouched lines are the same objects');
  setHeader(msg, 'i', 'new-call@h');
  t.same(msg.headers[msg.headers.length - 1], { name: 'Call-ID', value: 'new-call@h' }, 'appended, canonical name');
});

t.test('setHeader does not mutate the replaced line object', async (t) => {
  const msg = sampleRequest();
  const old = msg.headers[1];
  setHeader(msg, 'Max-Forwards', '69');
  t.same(old, { name: 'Max-Forwards', value: '70' });
  t.same(msg.headers[1], { name: 'Max-Forwards', value: '69' });
});

t.test('removeHeader removes every line', async (t) => {
  const msg = sampleRequest();
  removeHeader(msg, 'v');
  t.same(names(msg), [
    'Max-Forwards: 70',
    'Route: <sip:a.example;lr>',
    'X-Trace: one',
    'Route: <sip:b.example;lr>, <sip:c.example;lr>',
    'P-Asserted-Identity: "Smith, J" <sip:js@h>, <tel:+1555>',
    'Content-Length: 0',
  ]);
  removeHeader(msg, 'Nope');
  t.equal(msg.headers.length, 6);
});

t.test('appendHeader and prependHeader', async (t) => {
  const msg = sampleRequest();
  prependHeader(msg, 'v', 'SIP/2.0/UDP dcguard.ims.example.net;branch=z9hG4bKg');
  t.same(msg.headers[0], { name: 'Via', value: 'SIP/2.0/UDP dcguard.ims.example.net;branch=z9hG4bKg' });
  prependHeader(msg, 'Route', '<sip:first.example;lr>');
  t.same(msg.headers[3], { name: 'Route', value: '<sip:first.example;lr>' }, 'before the first Route');
  t.same(msg.headers[4], { name: 'Route', value: '<sip:a.example;lr>' });
  prependHeader(msg, 'record-route', '<sip:dcguard.ims.example.net;lr>');
  t.same(msg.headers[0], { name: 'Record-Route', value: '<sip:dcguard.ims.example.net;lr>' }, 'absent: at the top');
  appendHeader(msg, 'x', '1800');
  t.same(msg.headers[msg.headers.length - 1], { name: 'Session-Expires', value: '1800' });
  t.equal(msg.headers.length, 12);
});

t.test('setters refuse values and names that would inject lines', async (t) => {
  const msg = sampleRequest();
  t.throws(() => setHeader(msg, 'Subject', 'a\r\nVia: evil'), TypeError);
  t.throws(() => appendHeader(msg, 'Subject', 'a\nb'), TypeError);
  t.throws(() => prependHeader(msg, 'Subject', 'a\0b'), TypeError);
  t.throws(() => appendHeader(msg, 'Bad Name', 'x'), TypeError);
  t.throws(() => appendHeader(msg, 'Bad:Name', 'x'), TypeError);
  t.equal(msg.headers.length, 8, 'nothing added');
});

/** A message from a start line and header lines, with an optional body. */
function request(startLine: string, headers: readonly string[], body = ''): string {
  return sipMessage([startLine, ...headers], body);
}
const BASE_HEADERS = [
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbase',
  'From: <sip:alice@example.com>;tag=1',
  'To: <sip:bob@example.com>',
  'Call-ID: base-1@192.0.2.1',
  'CSeq: 1 INVITE',
];
function without(name: string, cseq = '1 INVITE'): string[] {
  return BASE_HEADERS.filter((l) => !l.startsWith(`${name}:`)).map((l) => (l.startsWith('CSeq:') ? `CSeq: ${cseq}` : l));
}

t.test('compact INVITE parses to exact values', async (t) => {
  t.same(parseSipMessage(COMPACT_INVITE), {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:bob@ims.example.com',
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK111, SIP/2.0/UDP 192.0.2.20;branch=z9hG4bK222;received=192.0.2.21' },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: 'Alice <sip:alice@ims.example.com>;tag=1928301774' },
      { name: 'To', value: 'sip:bob@ims.example.com' },
      { name: 'Call-ID', value: 'a84b4c76e66710@pc33.ims.example.com' },
      { name: 'CSeq', value: '314159 INVITE' },
      { name: 'Contact', value: '<sip:alice@192.0.2.10>' },
      { name: 'Supported', value: '100rel' },
      { name: 'Content-Length', value: '0' },
    ],
    body: '',
  });
});

t.test('IMS INVITE with routes, PAI (sip and tel), IPv6 Via and SDP', async (t) => {
  const msg = parseSipMessage(INVITE);
  if (msg.kind !== 'request') {
    t.fail('not a request');
    return;
  }
  t.equal(msg.method, 'INVITE');
  t.equal(msg.uri, 'tel:+15550002222;phone-context=ims.mnc001.mcc001.3gppnetwork.org');
  t.equal(msg.headers.length, 18);
  t.same(getHeaderValues(msg, 'Via'), [
    'SIP/2.0/TCP 10.20.0.5:5060;branch=z9hG4bK-524287-1---a1b2c3d4;rport',
    'SIP/2.0/UDP [2001:db8:0:1::10]:5060;received=2001:db8:0:1::10;branch=z9hG4bKnashds7',
  ]);
  t.same(getHeaderValues(msg, 'Route'), ['<sip:dcguard.ims.example.net:5060;lr>', '<sip:scscf.ims.mnc001.mcc001.3gppnetwork.org;lr;orig>']);
  t.same(getHeaderValues(msg, 'P-Asserted-Identity'), [
    '"Alice Smith" <sip:+15550001111@ims.mnc001.mcc001.3gppnetwork.org;user=phone>',
    '<tel:+15550001111>',
  ]);
  t.equal(getHeader(msg, 'Contact'), '<sip:+15550001111@[2001:db8:0:1::10]:5060;transport=udp>;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";+sip.instance="<urn:gsma:imei:35209900-176148-0>"');
  t.equal(getHeader(msg, 'Content-Length'), String(Buffer.byteLength(OFFER_SDP)));
  t.equal(msg.body, OFFER_SDP);
});

t.test('folded header lines are unfolded with one space (RFC 3261 7.3.1)', async (t) => {
  const msg = parseSipMessage(FOLDED_OPTIONS);
  t.equal(getHeader(msg, 'Via'), 'SIP/2.0/UDP 198.51.100.7:5060 ;branch=z9hG4bKfold1');
  t.equal(getHeader(msg, 'Subject'), "I know you're there, pick up the phone and talk to me!");
  t.equal(msg.headers.length, 8);
});

t.test('LF-only fixture file, read as a Buffer', async (t) => {
  const file = readFileSync(new URL('fixtures/message-lf.sip', import.meta.url));
  t.notOk(file.includes('\r'), 'fixture really has no CR');
  t.same(parseSipMessage(file), {
    kind: 'request',
    method: 'MESSAGE',
    uri: 'sip:+15550002222@ims.example.com;user=phone',
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKlf1' },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: '<sip:+15550001111@ims.example.com;user=phone>;tag=lf-1' },
      { name: 'To', value: '<sip:+15550002222@ims.example.com;user=phone>' },
      { name: 'Call-ID', value: 'lf-only-1@192.0.2.4' },
      { name: 'CSeq', value: '2 MESSAGE' },
      { name: 'Content-Type', value: 'text/plain' },
      { name: 'Content-Length', value: '12' },
    ],
    body: 'hello\nworld\n',
  });
});

t.test('200 OK with SDP answer', async (t) => {
  const msg = parseSipMessage(Buffer.from(OK_200, 'utf8'));
  if (msg.kind !== 'response') {
    t.fail('not a response');
    return;
  }
  t.equal(msg.status, 200);
  t.equal(msg.reason, 'OK');
  t.equal(getHeader(msg, 'To'), '"Jörg Müller" <tel:+15550002222;phone-context=ims.mnc001.mcc001.3gppnetwork.org>;tag=314159');
  t.same(getHeaderValues(msg, 'Record-Route'), ['<sip:dcguard.ims.example.net:5060;lr>', '<sip:pcscf.ims.mnc001.mcc001.3gppnetwork.org:5060;lr>']);
  t.equal(msg.body, ANSWER_SDP);
});

t.test('status lines', async (t) => {
  const headers = without('none');
  const cases: Array<[string, number, string]> = [
    ['SIP/2.0 180 Ringing', 180, 'Ringing'],
    ['SIP/2.0 488 Not Acceptable Here', 488, 'Not Acceptable Here'],
    ['SIP/2.0 100 ', 100, ''],
    ['SIP/2.0 699', 699, ''],
    ['sip/2.0 503 Service Unavailable', 503, 'Service Unavailable'],
    ['SIP/2.0 603 Déclin\u00e9', 603, 'Déclin\u00e9'],
  ];
  for (const [line, status, reason] of cases) {
    const msg = parseSipMessage(request(line, headers));
    t.same(msg.kind === 'response' ? [msg.status, msg.reason] : null, [status, reason], line);
  }
  const bad = ['SIP/2.0 099 Low', 'SIP/2.0 700 High', 'SIP/2.0 20 OK', 'SIP/2.0 2000 OK', 'SIP/2.0 abc OK', 'SIP/2.0  200 OK', 'SIP/2.0 200\tOK'];
  for (const line of bad) {
    t.equal(parseErrorOf(() => parseSipMessage(request(line, headers))), `bad status line ${JSON.stringify(line)}`, line);
  }
});

t.test('request lines', async (t) => {
  const ok = parseSipMessage(request('INVITE urn:service:sos SIP/2.0', BASE_HEADERS));
  t.equal(ok.kind === 'request' ? ok.uri : null, 'urn:service:sos', 'non-SIP Request-URI schemes are carried');
  const lower = parseSipMessage(request('INVITE sip:bob@example.com sip/2.0', BASE_HEADERS));
  t.equal(lower.kind, 'request', 'SIP-Version is case-insensitive');
  const bad: Array<[string, string]> = [
    ['INVITE sip:bob@example.com', 'bad request line "INVITE sip:bob@example.com"'],
    ['INVITE  sip:bob@example.com SIP/2.0', 'bad request line "INVITE  sip:bob@example.com SIP/2.0"'],
    ['INVITE sip:bob@example.com SIP/2.0 ', 'bad request line "INVITE sip:bob@example.com SIP/2.0 "'],
    ['INVITE sip:bob@example.com SIP/3', 'bad request line "INVITE sip:bob@example.com SIP/3"'],
    ['INVITE sip:bob@example.com HTTP/1.1', 'bad request line "INVITE sip:bob@example.com HTTP/1.1"'],
    ['INV(ITE sip:bob@example.com SIP/2.0', 'bad request line "INV(ITE sip:bob@example.com SIP/2.0"'],
    ['INVITE <sip:bob@example.com> SIP/2.0', 'bad Request-URI "<sip:bob@example.com>"'],
    ['INVITE sip:bob@ SIP/2.0', 'bad Request-URI "sip:bob@"'],
    ['INVITE bob SIP/2.0', 'bad Request-URI "bob"'],
    ['GARBAGE', 'bad request line "GARBAGE"'],
  ];
  for (const [line, reason] of bad) {
    t.equal(parseErrorOf(() => parseSipMessage(request(line, BASE_HEADERS))), reason, line);
  }
});

t.test('methods are case-sensitive tokens and must match the CSeq method (RFC 3261 8.1.1.5)', async (t) => {
  for (const method of ['ACK', 'CANCEL', 'BYE', 'UPDATE', 'PRACK', 'INFO']) {
    const msg = parseSipMessage(request(`${method} sip:bob@example.com SIP/2.0`, without('none', `1 ${method}`)));
    t.equal(msg.kind === 'request' ? msg.method : null, method);
  }
  t.equal(
    parseErrorOf(() => parseSipMessage(request('BYE sip:bob@example.com SIP/2.0', BASE_HEADERS))),
    'CSeq method INVITE does not match request method BYE',
  );
  t.equal(
    parseErrorOf(() => parseSipMessage(request('invite sip:bob@example.com SIP/2.0', BASE_HEADERS))),
    'CSeq method INVITE does not match request method invite',
  );
  t.equal(
    parseErrorOf(() => parseSipMessage(request('ACK sip:bob@example.com SIP/2.0', BASE_HEADERS))),
    'CSeq method INVITE does not match request method ACK',
  );
  // responses carry the method of the request they answer, whatever it is
  t.equal(parseSipMessage(request('SIP/2.0 200 OK', without('none', '5 BYE'))).kind, 'response');
});

t.test('mandatory headers', async (t) => {
  for (const name of ['To', 'From', 'Call-ID', 'CSeq', 'Via']) {
    t.equal(parseErrorOf(() => parseSipMessage(request('INVITE sip:b@h SIP/2.0', without(name)))), `missing ${name} header`);
    t.equal(parseErrorOf(() => parseSipMessage(request('SIP/2.0 200 OK', without(name)))), `missing ${name} header`);
  }
  const noMaxForwards = parseSipMessage(request('INVITE sip:b@h SIP/2.0', BASE_HEADERS));
  t.equal(getHeader(noMaxForwards, 'Max-Forwards'), undefined, 'Max-Forwards is not required');
});

t.test('header values are checked and errors name the header', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['From', 'From: "Alice <sip:alice@example.com>;tag=1', 'bad From header: unterminated quoted display name'],
    ['To', 'To: <sip:bob@example.com', 'bad To header: missing > after URI'],
    ['To', 'To: Bob', 'bad To header: bad URI "Bob"'],
    ['Via', 'Via: SIP/2.0/UDP', 'bad Via header: missing sent-by in "SIP/2.0/UDP"'],
    ['Via', 'Via: ', 'bad Via header: bad sent-protocol in ""'],
    ['CSeq', 'CSeq: INVITE', 'bad CSeq header: no sequence number in "INVITE"'],
    ['CSeq', 'CSeq: 2147483648 INVITE', 'bad CSeq header: sequence number not below 2**31 in "2147483648 INVITE"'],
    ['Call-ID', 'Call-ID: a b', 'bad Call-ID header "a b"'],
    ['Call-ID', 'Call-ID:', 'bad Call-ID header ""'],
  ];
  for (const [name, line, reason] of cases) {
    const headers = [...without(name), line];
    t.equal(parseErrorOf(() => parseSipMessage(request('INVITE sip:b@h SIP/2.0', headers))), reason, line);
  }
  // only the top Via is parsed; a second Via line is the next hop's business
  const twoVias = parseSipMessage(request('INVITE sip:b@h SIP/2.0', [...BASE_HEADERS, 'Via: junk']));
  t.same(getHeaderValues(twoVias, 'Via'), ['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbase', 'junk']);
});

t.test('single-instance headers may not repeat', async (t) => {
  for (const line of ['From: <sip:mallory@example.com>;tag=2', 'To: <sip:x@example.com>', 'i: other@h', 'CSeq: 2 INVITE', 'Content-Length: 0']) {
    const headers = [...BASE_HEADERS, 'Content-Length: 0', line];
    const name = line.startsWith('i:') ? 'Call-ID' : line.slice(0, line.indexOf(':'));
    t.equal(parseErrorOf(() => parseSipMessage(request('INVITE sip:b@h SIP/2.0', headers))), `duplicate ${name} header`, line);
  }
});

t.test('header line syntax', async (t) => {
  const ok = parseSipMessage(request('INVITE sip:b@h SIP/2.0', [...BASE_HEADERS, 'X-Spaced \t:  value with  inner  spaces  ', 'Subject:', 'X-Colons: a:b:c']));
  t.same(ok.headers.slice(5), [
    { name: 'X-Spaced', value: 'value with  inner  spaces' },
    { name: 'Subject', value: '' },
    { name: 'X-Colons', value: 'a:b:c' },
  ]);
  const bad: Array<[string, string]> = [
    ['No colon here', 'header line 7 has no colon: "No colon here"'],
    ['Bad Name: x', 'bad header name "Bad Name" in line 7'],
    [': no name', 'bad header name "" in line 7'],
    ['X-Ctl: a\u0000b', 'control character in line 7'],
    ['X-Cr: a\rb', 'control character in line 7'],
  ];
  for (const [line, reason] of bad) {
    t.equal(parseErrorOf(() => parseSipMessage(request('INVITE sip:b@h SIP/2.0', [...BASE_HEADERS, line]))), reason, JSON.stringify(line));
  }
  t.equal(
    parseErrorOf(() => parseSipMessage(request('INVITE sip:b@h SIP/2.0', [' folded: first', ...BASE_HEADERS]))),
    'continuation line 2 without a header to continue',
  );
});

t.test('leading CRLFs before the start line are ignored (RFC 3261 7.5)', async (t) => {
  const base = request('INVITE sip:b@h SIP/2.0', BASE_HEADERS);
  t.same(parseSipMessage(`\r\n\r\n\n${base}`), parseSipMessage(base));
});

t.test('Content-Length', async (t) => {
  const start = 'INVITE sip:b@h SIP/2.0';
  t.equal(parseSipMessage(request(start, [...BASE_HEADERS, 'Content-Length: 5'], 'hello, and more')).body, 'hello', 'longer body truncated');
  t.equal(parseSipMessage(request(start, [...BASE_HEADERS, 'Content-Length: 0'], '\r\n\r\n')).body, '', 'CRLF keep-alive after a message dropped');
  t.equal(parseSipMessage(request(start, [...BASE_HEADERS, 'l: 000003'], 'abcdef')).body, 'abc');
  t.equal(parseSipMessage(request(start, BASE_HEADERS, 'no length\r\nat all')).body, 'no length\r\nat all', 'absent: the rest');
  // byte, not character, counts: "é" is two bytes in UTF-8, and the body keeps them as bytes
  // (a byte string: one char per byte), so a binary body survives unchanged
  t.equal(parseSipMessage(request(start, [...BASE_HEADERS, 'Content-Length: 3'], 'aébc')).body, 'a\u00c3\u00a9');
  t.equal(parseSipMessage(request(start, [...BASE_HEADERS, 'Content-Length: 5'], 'aébc')).body, 'a\u00c3\u00a9bc');
  t.equal(
    parseErrorOf(() => parseSipMessage(request(start, [...BASE_HEADERS, 'Content-Length: 200'], '0123456789'))),
    'body shorter than Content-Length (10 < 200)',
  );
  t.equal(
    parseErrorOf(() => parseSipMessage(request(start, [...BASE_HEADERS, 'Content-Length: 6'], 'aébc'))),
    'body shorter than Content-Length (5 < 6)',
  );
  for (const value of ['-1', '1.5', 'abc', '', '12345678901', '0x10', '1 2']) {
    t.equal(
      parseErrorOf(() => parseSipMessage(request(start, [...BASE_HEADERS, `Content-Length: ${value}`], 'x'))),
      `bad Content-Length header ${JSON.stringify(value)}`,
      value,
    );
  }
});

t.test('body line ends are kept exactly', async (t) => {
  const body = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\ns=-\r\n\r\nc=IN IP4 192.0.2.1\n';
  const msg = parseSipMessage(request('INVITE sip:b@h SIP/2.0', [...BASE_HEADERS, 'Content-Length: auto'], body));
  t.equal(msg.body, body);
  const lfHeaders = `${['INVITE sip:b@h SIP/2.0', ...BASE_HEADERS].join('\n')}\n\n${body}`;
  t.equal(parseSipMessage(lfHeaders).body, body);
});

t.test('SipParseError carries status 400', async (t) => {
  try {
    parseSipMessage('');
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof SipParseError);
    t.equal(err instanceof SipParseError ? err.status : 0, 400);
  }
});

t.test('serializes a request exactly', async (t) => {
  const msg: SipMessage = {
    kind: 'request',
    method: 'BYE',
    uri: 'sip:bob@192.0.2.4',
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbye' },
      { name: 'Content-Length', value: '999' },
      { name: 'CSeq', value: '2 BYE' },
    ],
    // A byte string: U+00E9 is the one byte 0xE9.
    body: '\u00e9\n',
  };
  t.equal(
    serializeSipMessage(msg),
    'BYE sip:bob@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbye\r\nContent-Length: 2\r\nCSeq: 2 BYE\r\n\r\n\u00e9\n',
  );
  t.same([...encodeSipMessage(msg).subarray(-2)], [0xe9, 0x0a], 'sent as that byte');
  t.equal(msg.headers[1]?.value, '999', 'the message itself is not modified');
});

t.test('serializes a response, appending Content-Length when absent', async (t) => {
  const msg: SipMessage = { kind: 'response', status: 180, reason: 'Ringing', headers: [{ name: 'To', value: '<sip:b@h>;tag=1' }], body: '' };
  t.equal(serializeSipMessage(msg), 'SIP/2.0 180 Ringing\r\nTo: <sip:b@h>;tag=1\r\nContent-Length: 0\r\n\r\n');
  t.equal(serializeSipMessage({ ...msg, reason: '' }), 'SIP/2.0 180 \r\nTo: <sip:b@h>;tag=1\r\nContent-Length: 0\r\n\r\n');
});

t.test('duplicate and compact Content-Length lines collapse into one at the first', async (t) => {
  const msg: SipMessage = {
    kind: 'response', status: 200, reason: 'OK',
    headers: [{ name: 'l', value: '1' }, { name: 'To', value: '<sip:b@h>' }, { name: 'Content-Length', value: '2' }],
    body: 'abcd',
  };
  t.equal(serializeSipMessage(msg), 'SIP/2.0 200 OK\r\nContent-Length: 4\r\nTo: <sip:b@h>\r\n\r\nabcd');
});

t.test('refuses start lines, names and values that would inject lines', async (t) => {
  const base: SipMessage = { kind: 'response', status: 200, reason: 'OK', headers: [], body: '' };
  t.throws(() => serializeSipMessage({ ...base, reason: 'OK\r\nVia: x' }), TypeError);
  t.throws(() => serializeSipMessage({ ...base, headers: [{ name: 'Subject', value: 'a\nb' }] }), TypeError);
  t.throws(() => serializeSipMessage({ ...base, headers: [{ name: 'Sub ject', value: 'a' }] }), TypeError);
  t.throws(() => serializeSipMessage({ kind: 'request', method: 'INVITE', uri: 'sip:a@b\r\n', headers: [], body: '' }), TypeError);
});

t.test('round trip: parse(serialize(parse(x))) equals parse(x)', async (t) => {
  for (const [name, text] of Object.entries({ INVITE, COMPACT_INVITE, FOLDED_OPTIONS, OK_200 })) {
    const first = parseSipMessage(text);
    const wire = serializeSipMessage(first);
    t.same(parseSipMessage(wire), first, name);
    t.equal(serializeSipMessage(parseSipMessage(wire)), wire, `${name}: serialization is stable`);
  }
});

t.test('round trip of a message without Content-Length adds exactly that header', async (t) => {
  const text = sipMessage(
    [
      'MESSAGE sip:b@h SIP/2.0',
      'v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKm',
      'f: <sip:a@h>;tag=1',
      't: <sip:b@h>',
      'i: m-1@h',
      'CSeq: 9 MESSAGE',
      'Subject: folded',
      '  subject',
    ],
    'Grüße\r\n',
  );
  const first = parseSipMessage(text);
  const wire = encodeSipMessage(first);
  t.equal(
    wire.toString('utf8'),
    'MESSAGE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKm\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n' +
      'Call-ID: m-1@h\r\nCSeq: 9 MESSAGE\r\nSubject: folded subject\r\nContent-Length: 9\r\n\r\nGrüße\r\n',
  );
  t.equal(Buffer.byteLength('Grüße\r\n'), 9);
  t.same(parseSipMessage(wire), { ...first, headers: [...first.headers, { name: 'Content-Length', value: '9' }] });
});

t.test('a truncated body round-trips with the declared length', async (t) => {
  const text = sipMessage(
    ['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bKt', 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>;tag=2', 'Call-ID: t@h', 'CSeq: 1 OPTIONS', 'Content-Length: 4'],
    'abcdEXTRA',
  );
  const wire = serializeSipMessage(parseSipMessage(text));
  t.ok(wire.endsWith('Content-Length: 4\r\n\r\nabcd'));
});
