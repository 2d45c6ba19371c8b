/** Value-level parsers: errors, header names, lists and parameters, URIs, name-addr, Via, CSeq. */
import t from 'tap';
import { formatCSeq, parseCSeq } from '../../src/sip/cseq.ts';
import { formatParams, parseGenericParams, parseParams, splitHeaderValues } from '../../src/sip/header-values.ts';
import { formatNameAddr, parseNameAddr } from '../../src/sip/name-addr.ts';
import { canonicalHeaderName } from '../../src/sip/sip-header-names.ts';
import { SipParseError, excerpt } from '../../src/sip/sip-parse-error.ts';
import { formatUri, parseUri, uriParam } from '../../src/sip/sip-uri.ts';
import type { SipUri } from '../../src/sip/sip-uri.ts';
import { formatVia, parseVia, viaParam } from '../../src/sip/via.ts';
import { parseErrorOf } from './fixtures/sip-fixtures.ts';

t.test('SipParseError carries the reason and status 400', async (t) => {
  const err = new SipParseError('missing Call-ID header');
  t.ok(err instanceof Error);
  t.equal(err.message, 'missing Call-ID header');
  t.equal(err.name, 'SipParseError');
  t.equal(err.status, 400);
  t.match(String(err), /^SipParseError: missing Call-ID header$/);
});

t.test('excerpt quotes, escapes and truncates untrusted text', async (t) => {
  t.equal(excerpt('abc'), '"abc"');
  t.equal(excerpt('a\r\nb\u0000'), '"a\\r\\nb\\u0000"');
  t.equal(excerpt('x'.repeat(1000)), `"${'x'.repeat(40)}..."`);
});

t.test('compact forms expand (RFC 3261 7.3.3 and IANA registry)', async (t) => {
  const expected: Record<string, string> = {
    i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type',
    f: 'From', s: 'Subject', k: 'Supported', t: 'To', v: 'Via', o: 'Event', u: 'Allow-Events',
    r: 'Refer-To', b: 'Referred-By', a: 'Accept-Contact', j: 'Reject-Contact',
    d: 'Request-Disposition', x: 'Session-Expires', y: 'Identity', n: 'Identity-Info',
  };
  for (const [compact, long] of Object.entries(expected)) {
    t.equal(canonicalHeaderName(compact), long, compact);
    t.equal(canonicalHeaderName(compact.toUpperCase()), long, compact.toUpperCase());
  }
});

t.test('known names get their canonical spelling whatever the case', async (t) => {
  const names = [
    'Call-ID', 'CSeq', 'WWW-Authenticate', 'Max-Forwards', 'Record-Route', 'Route', 'Content-Length',
    'Content-Type', 'P-Asserted-Identity', 'P-Preferred-Identity', 'P-Served-User',
    'P-Access-Network-Info', 'P-Charging-Vector', 'P-Charging-Function-Addresses',
    'P-Asserted-Service', 'P-Called-Party-ID', 'Remote-Party-ID', 'History-Info', 'Diversion',
    'Privacy', 'RSeq', 'RAck', 'Allow', 'Supported', 'Require', 'Contact', 'From', 'To', 'Via',
    'User-Agent', 'Server', 'Subject', 'Organization', 'Reply-To', 'Call-Info', 'Retry-After',
    'Reason', 'Warning', 'MIME-Version', 'SIP-ETag', 'Min-SE',
  ];
  for (const name of names) {
    t.equal(canonicalHeaderName(name.toLowerCase()), name);
    t.equal(canonicalHeaderName(name.toUpperCase()), name);
  }
  t.equal(canonicalHeaderName('call-id'), 'Call-ID');
  t.equal(canonicalHeaderName('CALL-ID'), 'Call-ID');
  t.equal(canonicalHeaderName('Www-Authenticate'), 'WWW-Authenticate');
  t.equal(canonicalHeaderName('p-asserted-identity'), 'P-Asserted-Identity');
});

t.test('unknown names come back as written', async (t) => {
  t.equal(canonicalHeaderName('X-Custom-Thing'), 'X-Custom-Thing');
  t.equal(canonicalHeaderName('x-custom-thing'), 'x-custom-thing');
  t.equal(canonicalHeaderName('q'), 'q');
  t.equal(canonicalHeaderName(''), '');
});

t.test('splitHeaderValues', async (t) => {
  t.same(splitHeaderValues('INVITE, ACK ,CANCEL'), ['INVITE', 'ACK', 'CANCEL']);
  t.same(splitHeaderValues('  single value  '), ['single value']);
  t.same(splitHeaderValues(''), []);
  t.same(splitHeaderValues(' , ,a,, '), ['a']);
  // commas inside quotes (with escapes) and inside <...> do not split
  t.same(splitHeaderValues('"Smith, John" <sip:js@h>;tag=1, <sip:b@h>'), ['"Smith, John" <sip:js@h>;tag=1', '<sip:b@h>']);
  t.same(splitHeaderValues('"a \\", b" <sip:a@h>, c'), ['"a \\", b" <sip:a@h>', 'c']);
  t.same(splitHeaderValues('<sip:a@h;x=1,2>, <sip:b@h>'), ['<sip:a@h;x=1,2>', '<sip:b@h>']);
  t.same(
    splitHeaderValues('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1, SIP/2.0/TCP [2001:db8::2]:5061;branch=z9hG4bK2'),
    ['SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1', 'SIP/2.0/TCP [2001:db8::2]:5061;branch=z9hG4bK2'],
  );
  // unterminated quote or bracket runs to the end instead of failing
  t.same(splitHeaderValues('a, "b, c'), ['a', '"b, c']);
  t.same(splitHeaderValues('a, <sip:b, c'), ['a', '<sip:b, c']);
  t.same(splitHeaderValues('a, "b\\'), ['a', '"b\\']);
});

t.test('parseParams', async (t) => {
  t.same(parseParams(';a=b;c;d="x;y"'), [['a', 'b'], ['c', null], ['d', '"x;y"']]);
  t.same(parseParams('a=b;c'), [['a', 'b'], ['c', null]]);
  t.same(parseParams(''), []);
  t.same(parseParams(' ; Tag = 12 ;;lr; '), [['Tag', '12'], ['lr', null]]);
  t.same(parseParams(';q="a \\" ; b";x=1'), [['q', '"a \\" ; b"'], ['x', '1']]);
  t.same(parseParams(';received=2001:db8::1;e='), [['received', '2001:db8::1'], ['e', '']]);
  t.same(parseParams(';u="unterminated;x=1'), [['u', '"unterminated;x=1']]);
});

t.test('formatParams', async (t) => {
  t.equal(formatParams([['a', 'b'], ['c', null]]), ';a=b;c');
  t.equal(formatParams([]), '');
  const s = ';tag=1;+sip.instance="<urn:uuid:1>";lr';
  t.equal(formatParams(parseParams(s)), s);
});

t.test('parseGenericParams is strict', async (t) => {
  t.same(parseGenericParams(''), []);
  t.same(parseGenericParams('  '), []);
  t.same(parseGenericParams(' ;tag=1 ; lr;+sip.instance="<urn:x>";received=[2001:db8::1]'), [
    ['tag', '1'],
    ['lr', null],
    ['+sip.instance', '"<urn:x>"'],
    ['received', '[2001:db8::1]'],
  ]);
  const bad: Array<[string, string]> = [
    ['tag=1', 'expected \';\' before parameters, got "tag=1"'],
    [';tag=1;', 'bad parameter name ""'],
    [';;tag=1', 'bad parameter name ""'],
    [';ta g=1', 'bad parameter name "ta g"'],
    [';tag=', 'bad value for parameter tag: ""'],
    [';tag=a b', 'bad value for parameter tag: "a b"'],
    [';x="open', 'bad value for parameter x: "\\"open"'],
    [';x="a"b"', 'bad value for parameter x: "\\"a\\"b\\""'],
    [';x="a\\"', 'bad value for parameter x: "\\"a\\\\\\""'],
    [';x=<sip:a@b>', 'bad value for parameter x: "<sip:a@b>"'],
  ];
  for (const [input, reason] of bad) {
    t.equal(parseErrorOf(() => parseGenericParams(input)), reason, input);
  }
});

t.test('parseUri: sip with user, port, params and headers', async (t) => {
  t.same(parseUri('sip:alice@host:5060;transport=tcp;lr?Subject=x'), {
    scheme: 'sip', user: 'alice', password: null, host: 'host', port: 5060,
    params: [['transport', 'tcp'], ['lr', null]], headers: 'Subject=x',
  });
  t.same(parseUri('sip:ims.example.net'), {
    scheme: 'sip', user: null, password: null, host: 'ims.example.net', port: null, params: [], headers: null,
  });
  t.same(parseUri('sips:alice:secret@192.0.2.1:5061'), {
    scheme: 'sips', user: 'alice', password: 'secret', host: '192.0.2.1', port: 5061, params: [], headers: null,
  });
  t.same(parseUri('sip:bob:@h'), { scheme: 'sip', user: 'bob', password: '', host: 'h', port: null, params: [], headers: null });
});

t.test('parseUri: scheme is case-insensitive and returned lower-case', async (t) => {
  t.equal(parseUri('SIP:a@h')?.scheme, 'sip');
  t.equal(parseUri('Sips:a@h')?.scheme, 'sips');
  t.equal(parseUri('TEL:+1555')?.scheme, 'tel');
});

t.test('parseUri: IPv6 hosts keep their brackets', async (t) => {
  t.same(parseUri('sip:[2001:db8::1]:5060;transport=udp'), {
    scheme: 'sip', user: null, password: null, host: '[2001:db8::1]', port: 5060, params: [['transport', 'udp']], headers: null,
  });
  t.same(parseUri('sip:+15550001111@[::1]'), {
    scheme: 'sip', user: '+15550001111', password: null, host: '[::1]', port: null, params: [], headers: null,
  });
  t.equal(parseUri('sip:[::ffff:192.0.2.1]')?.host, '[::ffff:192.0.2.1]');
});

t.test('parseUri: tel-style user part keeps its ";" parameters (RFC 3261 19.1.6)', async (t) => {
  t.same(parseUri('sip:+1555;npdi@host;user=phone'), {
    scheme: 'sip', user: '+1555;npdi', password: null, host: 'host', port: null, params: [['user', 'phone']], headers: null,
  });
  t.same(parseUri('sip:+15550001111;phone-context=ims.mnc001.mcc001.3gppnetwork.org@ims.example.com;user=phone')?.user,
    '+15550001111;phone-context=ims.mnc001.mcc001.3gppnetwork.org');
  t.equal(parseUri('sip:%61lice@h')?.user, '%61lice');
  t.equal(parseUri('sip:*31%23555@h')?.user, '*31%23555');
  t.equal(parseUri('sip:*31#555@h')?.user, '*31#555');
});

t.test('parseUri: tel URIs (RFC 3966)', async (t) => {
  t.same(parseUri('tel:+15550001111;cpc=ordinary;phone-context=ims.mnc001.mcc001.3gppnetwork.org'), {
    scheme: 'tel', user: '+15550001111', password: null, host: '', port: null,
    params: [['cpc', 'ordinary'], ['phone-context', 'ims.mnc001.mcc001.3gppnetwork.org']], headers: null,
  });
  t.same(parseUri('tel:+1-555-000-1111'), {
    scheme: 'tel', user: '+1-555-000-1111', password: null, host: '', port: null, params: [], headers: null,
  });
  t.same(parseUri('tel:1234;phone-context=+1555;npdi')?.params, [['phone-context', '+1555'], ['npdi', null]]);
});

t.test('parseUri: null for other schemes and malformed URIs', async (t) => {
  const bad = [
    '', 'sip', 'sip:', 'tel:', 'http://example.com', 'urn:service:sos', 'mailto:a@b', 'sipx:a@b',
    'sip:@host', 'sip:alice@', 'sip:alice@host:', 'sip:alice@host:65536', 'sip:alice@host:123456',
    'sip:alice@host:50x0', 'sip:alice@host;', 'sip:alice@host;;lr', 'sip:alice@host;x=', 'sip:a@host junk',
    'sip:al ice@host', 'sip:alice@ho st', 'sip:<alice>@host', 'sip:alice@host>', 'sip:a"b@host',
    'sip:alice@[::1', 'sip:alice@[zz::1]', 'sip:alice@[]', 'sip:alice@[::1]x', 'sip:%4@host', 'sip:a%zz@host',
    'sip:alice@host?a b', 'sip:alice@hôst', 'tel:+1555 0001', 'tel:+1555;x=', 'tel:+1555@host', 'tel:+1555;;x',
    'tel:+1555?x=1', 'tel:gggg',
  ];
  for (const s of bad) {
    t.equal(parseUri(s), null, JSON.stringify(s));
  }
});

t.test('formatUri round-trips typical URIs exactly', async (t) => {
  const uris = [
    'sip:alice@host:5060;transport=tcp;lr?Subject=x',
    'sip:+1555;npdi@host;user=phone',
    'sips:[2001:db8::1]:5061;transport=tls',
    'sip:alice:secret@192.0.2.1',
    'sip:bob:@h',
    'sip:scscf.ims.mnc001.mcc001.3gppnetwork.org;lr;orig',
    'sip:+15550001111@ims.mnc001.mcc001.3gppnetwork.org;user=phone',
    'sip:alice@h?Replaces=abc%40h%3Bto-tag%3D1&Require=replaces',
    'sip:alice@h?',
    'tel:+15550001111;cpc=ordinary;phone-context=ims.mnc001.mcc001.3gppnetwork.org',
    'tel:+15550001111',
  ];
  for (const s of uris) {
    const u = parseUri(s);
    t.not(u, null, s);
    t.equal(u === null ? null : formatUri(u), s);
  }
});

t.test('formatUri builds from fields', async (t) => {
  const u: SipUri = { scheme: 'sip', user: null, password: null, host: 'dcguard.ims.example.net', port: 5060, params: [['lr', null]], headers: null };
  t.equal(formatUri(u), 'sip:dcguard.ims.example.net:5060;lr');
  t.equal(formatUri({ ...u, user: '+1555', port: null, params: [] }), 'sip:+1555@dcguard.ims.example.net');
  t.equal(formatUri({ scheme: 'tel', user: '+1555', password: null, host: '', port: null, params: [['cpc', 'ordinary']], headers: null }), 'tel:+1555;cpc=ordinary');
});

t.test('uriParam', async (t) => {
  const u = parseUri('sip:a@h;Transport=TCP;lr;user=phone;user=ip');
  if (u === null) {
    t.fail('did not parse');
    return;
  }
  t.equal(uriParam(u, 'transport'), 'TCP');
  t.equal(uriParam(u, 'LR'), null);
  t.equal(uriParam(u, 'user'), 'phone');
  t.equal(uriParam(u, 'maddr'), undefined);
});

t.test('parseNameAddr: name-addr forms', async (t) => {
  t.same(parseNameAddr('"Alice \\"A\\"" <sip:a@b>;tag=1'), { displayName: 'Alice "A"', uri: 'sip:a@b', params: [['tag', '1']] });
  t.same(parseNameAddr('Alice <sip:a@b>'), { displayName: 'Alice', uri: 'sip:a@b', params: [] });
  t.same(parseNameAddr('Alice  Smith<sip:a@b>'), { displayName: 'Alice  Smith', uri: 'sip:a@b', params: [] });
  t.same(parseNameAddr('<sip:a@b>'), { displayName: null, uri: 'sip:a@b', params: [] });
  t.same(parseNameAddr('  "" <sip:a@b>  '), { displayName: '', uri: 'sip:a@b', params: [] });
  t.same(parseNameAddr('"a\\\\b"<sip:a@b>'), { displayName: 'a\\b', uri: 'sip:a@b', params: [] });
  t.same(parseNameAddr('"Smith, <John>" <sip:js@h>'), { displayName: 'Smith, <John>', uri: 'sip:js@h', params: [] });
  t.same(parseNameAddr('Jörg Müller <tel:+49301234>'), { displayName: 'Jörg Müller', uri: 'tel:+49301234', params: [] });
  t.same(parseNameAddr('<tel:+1555;cpc=ordinary>'), { displayName: null, uri: 'tel:+1555;cpc=ordinary', params: [] });
  t.same(parseNameAddr('<sip:+1555;npdi@h;user=phone>;tag=x ; expires=60'), {
    displayName: null, uri: 'sip:+1555;npdi@h;user=phone', params: [['tag', 'x'], ['expires', '60']],
  });
  t.same(parseNameAddr('<sip:+15550001111@[2001:db8::10]:5060;transport=udp>;+sip.instance="<urn:gsma:imei:35209900-176148-0>"'), {
    displayName: null,
    uri: 'sip:+15550001111@[2001:db8::10]:5060;transport=udp',
    params: [['+sip.instance', '"<urn:gsma:imei:35209900-176148-0>"']],
  });
  t.same(parseNameAddr('<urn:service:sos>'), { displayName: null, uri: 'urn:service:sos', params: [] });
});

t.test('parseNameAddr: addr-spec without <> (RFC 3261 20.10: params belong to the header)', async (t) => {
  t.same(parseNameAddr('sip:a@b;tag=1'), { displayName: null, uri: 'sip:a@b', params: [['tag', '1']] });
  t.same(parseNameAddr('tel:+1555'), { displayName: null, uri: 'tel:+1555', params: [] });
  t.same(parseNameAddr('tel:+1555;cpc=ordinary'), { displayName: null, uri: 'tel:+1555', params: [['cpc', 'ordinary']] });
});

t.test('parseNameAddr: errors', async (t) => {
  const bad: Array<[string, string]> = [
    ['', 'empty address'],
    ['   ', 'empty address'],
    ['"Alice <sip:a@b>', 'unterminated quoted display name'],
    ['"Alice\\" <sip:a@b>', 'unterminated quoted display name'],
    ['"Alice\\', 'unterminated quoted display name'],
    ['"Alice" sip:a@b', 'expected < after quoted display name'],
    ['"Alice" Bob <sip:a@b>', 'expected < after quoted display name'],
    ['Alice "A <sip:a@b>', 'bad display name "Alice \\"A"'],
    ['Alice> <sip:a@b>', 'bad display name "Alice>"'],
    ['<sip:a@b', 'missing > after URI'],
    ['Alice <sip:a@b;tag=1', 'missing > after URI'],
    ['<>', 'bad URI ""'],
    ['<sip:a@b c>', 'bad URI "sip:a@b c"'],
    ['<a@b>', 'bad URI "a@b"'],
    ['<sip:@b>', 'bad sip URI "sip:@b"'],
    ['<tel:+1 555>', 'bad URI "tel:+1 555"'],
    ['Alice sip:a@b', 'bad URI "Alice sip:a@b"'],
    ['<sip:a@b> tag=1', 'expected \';\' before parameters, got "tag=1"'],
    ['<sip:a@b>;tag', 'no error'],
    ['<sip:a@b>;tag=', 'bad value for parameter tag: ""'],
    ['<sip:a@b>, <sip:c@d>', 'expected \';\' before parameters, got ", <sip:c@d>"'],
    ['sip:a@b;tag=1;', 'bad parameter name ""'],
  ];
  for (const [input, reason] of bad) {
    t.equal(parseErrorOf(() => parseNameAddr(input)), reason, JSON.stringify(input));
  }
});

t.test('formatNameAddr always uses <> and quotes the display name', async (t) => {
  t.equal(formatNameAddr({ displayName: null, uri: 'sip:a@b', params: [['tag', '1']] }), '<sip:a@b>;tag=1');
  t.equal(formatNameAddr({ displayName: 'Alice', uri: 'sip:a@b', params: [] }), '"Alice" <sip:a@b>');
  t.equal(formatNameAddr({ displayName: 'A "B" \\C', uri: 'tel:+1555', params: [] }), '"A \\"B\\" \\\\C" <tel:+1555>');
  t.equal(formatNameAddr({ displayName: '', uri: 'sip:a@b', params: [] }), '"" <sip:a@b>');
  t.equal(formatNameAddr(parseNameAddr('sip:a@b;tag=1')), '<sip:a@b>;tag=1');
  for (const s of ['"Alice \\"A\\"" <sip:a@b>;tag=1', '<tel:+1555;cpc=ordinary>;x', '"a\\\\b" <sip:h>']) {
    t.equal(formatNameAddr(parseNameAddr(s)), s);
  }
});

t.test('parseVia', async (t) => {
  t.same(parseVia('SIP/2.0/UDP 10.20.0.5:5060;branch=z9hG4bK776asdhds;rport'), {
    protocol: 'SIP/2.0/UDP', transport: 'UDP', host: '10.20.0.5', port: 5060, params: [['branch', 'z9hG4bK776asdhds'], ['rport', null]],
  });
  t.same(parseVia('SIP/2.0/TCP [2001:db8:0:1::10]:5060;received=2001:db8:0:1::10;branch=z9hG4bKnashds7'), {
    protocol: 'SIP/2.0/TCP', transport: 'TCP', host: '[2001:db8:0:1::10]', port: 5060,
    params: [['received', '2001:db8:0:1::10'], ['branch', 'z9hG4bKnashds7']],
  });
  t.same(parseVia('SIP / 2.0 / tls   pcscf.ims.example.net : 5061 ; branch=z9hG4bK1 ; alias'), {
    protocol: 'SIP/2.0/tls', transport: 'tls', host: 'pcscf.ims.example.net', port: 5061, params: [['branch', 'z9hG4bK1'], ['alias', null]],
  });
  t.same(parseVia('SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKx'), {
    protocol: 'SIP/2.0/WSS', transport: 'WSS', host: 'df7jal23ls0d.invalid', port: null, params: [['branch', 'z9hG4bKx']],
  });
  t.same(parseVia(' SIP/2.0/UDP [::1] ').host, '[::1]');
});

t.test('parseVia errors', async (t) => {
  const bad: Array<[string, string]> = [
    ['', 'bad sent-protocol in ""'],
    ['SIP/2.0 10.0.0.1', 'bad sent-protocol in "SIP/2.0 10.0.0.1"'],
    ['SIP/2.0/UDP', 'missing sent-by in "SIP/2.0/UDP"'],
    ['SIP/2.0/UDP/X 10.0.0.1', 'missing sent-by in "SIP/2.0/UDP/X 10.0.0.1"'],
    ['SIP/2.0/UDP ;branch=1', 'bad host ""'],
    ['SIP/2.0/UDP [::1;branch=1', 'unterminated IPv6 reference in "SIP/2.0/UDP [::1;branch=1"'],
    ['SIP/2.0/UDP h@st', 'bad host "h@st"'],
    ['SIP/2.0/UDP 10.0.0.1:', 'bad port in "SIP/2.0/UDP 10.0.0.1:"'],
    ['SIP/2.0/UDP 10.0.0.1:65536', 'bad port in "SIP/2.0/UDP 10.0.0.1:65536"'],
    ['SIP/2.0/UDP 10.0.0.1:123456', 'bad port in "SIP/2.0/UDP 10.0.0.1:123456"'],
    ['SIP/2.0/UDP 10.0.0.1 branch=1', 'expected \';\' before parameters, got "branch=1"'],
    ['SIP/2.0/UDP 10.0.0.1;branch=1, SIP/2.0/UDP 10.0.0.2', 'bad value for parameter branch: "1, SIP/2.0/UDP 10.0.0.2"'],
  ];
  for (const [input, reason] of bad) {
    t.equal(parseErrorOf(() => parseVia(input)), reason, JSON.stringify(input));
  }
});

t.test('formatVia and viaParam', async (t) => {
  const s = 'SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;rport=5060;received=2001:db8::1';
  const v = parseVia(s);
  t.equal(formatVia(v), s);
  t.equal(formatVia({ ...v, port: null, params: [] }), 'SIP/2.0/UDP [2001:db8::1]');
  t.equal(viaParam(v, 'BRANCH'), 'z9hG4bK1');
  t.equal(viaParam(v, 'rport'), '5060');
  t.equal(viaParam(v, 'maddr'), undefined);
  t.equal(viaParam(parseVia('SIP/2.0/UDP h;rport'), 'rport'), null);
});

t.test('parseCSeq', async (t) => {
  t.same(parseCSeq('4711 INVITE'), { seq: 4711, method: 'INVITE' });
  t.same(parseCSeq('  0\tACK '), { seq: 0, method: 'ACK' });
  t.same(parseCSeq('2147483647 BYE'), { seq: 2147483647, method: 'BYE' });
  t.same(parseCSeq('1 foo'), { seq: 1, method: 'foo' });
  const bad: Array<[string, string]> = [
    ['', 'no sequence number in ""'],
    ['INVITE', 'no sequence number in "INVITE"'],
    ['-1 INVITE', 'no sequence number in "-1 INVITE"'],
    ['2147483648 INVITE', 'sequence number not below 2**31 in "2147483648 INVITE"'],
    ['99999999999999999999 INVITE', 'sequence number not below 2**31 in "99999999999999999999 INVITE"'],
    ['1INVITE', 'bad method in "1INVITE"'],
    ['1', 'bad method in "1"'],
    ['1 INVITE BYE', 'bad method in "1 INVITE BYE"'],
    ['1 INV/ITE', 'bad method in "1 INV/ITE"'],
  ];
  for (const [input, reason] of bad) {
    t.equal(parseErrorOf(() => parseCSeq(input)), reason, JSON.stringify(input));
  }
  t.equal(formatCSeq({ seq: 314159, method: 'INVITE' }), '314159 INVITE');
});
