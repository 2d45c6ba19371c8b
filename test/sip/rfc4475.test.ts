/**
 * RFC 4475 torture messages at the parser and salvage level: the valid "wsinv" (3.1.1.1) with
 * linear white space everywhere, "badinv01" (3.1.2.1) with empty Via parameters, and "badvers"
 * (3.1.2.16) with an unknown SIP version. The wire behaviour is in test/transport/rfc4475-wire.test.ts.
 */
import t from 'tap';
import { parseNameAddr } from '../../src/sip/name-addr.ts';
import { SipParseError } from '../../src/sip/sip-parse-error.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { parseViaLoosely } from '../../src/sip/via.ts';
import { tagOf } from '../../src/sip/dialog-tags.ts';
import { salvageResponse } from '../../src/transport/salvage-response.ts';
import { BADINV01, BADVERS, WSINV } from './fixtures/rfc4475.ts';

function parseError(text: string): SipParseError | null {
  try {
    parseSipMessage(text);
    return null;
  } catch (err) {
    return err instanceof SipParseError ? err : null;
  }
}

t.test('wsinv (3.1.1.1) parses, with To and From parameters read through the white space', async (t) => {
  const msg = parseSipMessage(WSINV);
  t.equal(msg.kind, 'request');
  const to = msg.headers.find((h) => h.name === 'To')?.value ?? '';
  const from = msg.headers.find((h) => h.name === 'From')?.value ?? '';
  t.same(parseNameAddr(to), { displayName: null, uri: 'sip:vivekg@chair-dnrc.example.com', params: [['tag', '1918181833n']] });
  t.same(parseNameAddr(from), { displayName: 'J Rosenberg \\"', uri: 'sip:jdrosen@example.com', params: [['tag', '98asjd8']] });
  t.equal(tagOf(to), '1918181833n', 'the transaction layer reads the To tag');
  t.equal(tagOf(from), '98asjd8');
  t.equal(msg.headers.find((h) => h.name === 'CSeq')?.value, '0009 INVITE');
  t.equal(msg.body.length, 150);
});

t.test('LWS before ";" in name-addr and addr-spec (SEMI = SWS ";" SWS, RFC 3261 25.1)', async (t) => {
  const cases: Array<[string, string, string | null, Array<[string, string | null]>]> = [
    ['<sip:user@example.com> ;tag=abc', 'sip:user@example.com', null, [['tag', 'abc']]],
    ['"A" <sip:a@b> ; tag=x', 'sip:a@b', 'A', [['tag', 'x']]],
    ['"A" <sip:a@b>\t;\ttag = x ; y', 'sip:a@b', 'A', [['tag', 'x'], ['y', null]]],
    ['sip:a@b ;tag=1', 'sip:a@b', null, [['tag', '1']]],
    ['sip:a@b\t ; tag = 1', 'sip:a@b', null, [['tag', '1']]],
    ['A <sip:a@b> ;tag=2', 'sip:a@b', 'A', [['tag', '2']]],
  ];
  for (const [value, uri, displayName, params] of cases) {
    t.same(parseNameAddr(value), { displayName, uri, params }, value);
  }
  t.throws(() => parseNameAddr('sip:a@b c ;tag=1'), SipParseError, 'white space inside the URI is still refused');
  const req = parseSipMessage(
    [
      'OPTIONS sip:bob@example.com SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKlws',
      'Max-Forwards: 70',
      'From: "A" <sip:a@example.com> ; tag=x',
      'To: <sip:user@example.com> ;tag=abc',
      'Call-ID: lws-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  t.equal(tagOf(req.headers.find((h) => h.name === 'To')?.value), 'abc');
  t.equal(tagOf(req.headers.find((h) => h.name === 'From')?.value), 'x');
});

t.test('badinv01 (3.1.2.1) is refused with 400, and a 400 can be built for it', async (t) => {
  const err = parseError(BADINV01);
  t.equal(err?.status, 400);
  t.match(err?.message ?? '', /Via/);
  const res = salvageResponse(BADINV01, 400, err?.message ?? '');
  t.ok(res, 'answerable');
  if (res === null) {
    return;
  }
  t.equal(res.status, 400);
  t.equal(res.headers.find((h) => h.name === 'Via')?.value, 'SIP/2.0/UDP 192.0.2.15', 'the top Via echoed without its empty parameters and the junk after it');
  t.equal(res.headers.find((h) => h.name === 'Call-ID')?.value, 'badinv01.0ha0isndaksdjasdf3234nas');
  t.equal(res.headers.find((h) => h.name === 'CSeq')?.value, '8 INVITE');
  t.match(res.headers.find((h) => h.name === 'To')?.value ?? '', /^sip:j\.user@example\.com;tag=[0-9a-f]+$/);
});

t.test('a repaired top Via keeps branch and rport only, and keeps further values that parse', async (t) => {
  const raw = BADINV01.replace('Via: SIP/2.0/UDP 192.0.2.15;;,;,,', 'Via: SIP/2.0/UDP 192.0.2.15;;branch=z9hG4bKx;maddr=203.0.113.9;rport;;, SIP/2.0/UDP 192.0.2.16;branch=z9hG4bKy, ;');
  const res = salvageResponse(raw, 400, 'x');
  t.equal(res?.headers.find((h) => h.name === 'Via')?.value, 'SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKx;rport, SIP/2.0/UDP 192.0.2.16;branch=z9hG4bKy', 'no maddr: a broken message does not pick where its answer goes');
  t.equal(salvageResponse(BADINV01.replace('SIP/2.0/UDP 192.0.2.15;;', 'SIP/2.0/UDP ;;'), 400, 'x'), null, 'no sent-by: still no answer');
  t.equal(salvageResponse(BADINV01.replace('SIP/2.0/UDP 192.0.2.15;;', 'SIP/2.0/UDP 192.0.2.15 junk;;'), 400, 'x'), null, 'text after sent-by: no answer');
});

t.test('parseViaLoosely skips bad parameters but not a bad sent-by', async (t) => {
  t.same(parseViaLoosely('SIP/2.0/UDP 192.0.2.15;;a=b;=c;"q";d;e=f g').params, [['a', 'b'], ['d', null]]);
  t.throws(() => parseViaLoosely('SIP/2.0/UDP bad host;branch=x'), SipParseError);
  t.throws(() => parseViaLoosely('nonsense'), SipParseError);
});

t.test('badvers (3.1.2.16): another SIP version is refused with 505', async (t) => {
  const err = parseError(BADVERS);
  t.equal(err?.status, 505);
  t.match(err?.message ?? '', /^Version Not Supported/);
  for (const version of ['SIP/3.0', 'sip/2.1', 'SIP/20.0', 'SIP/1.0']) {
    t.equal(parseError(BADVERS.replace('SIP/7.0\r\n', `${version}\r\n`))?.status, 505, version);
  }
  for (const line of ['SIP/7', 'SIP/7.', 'SIP/.0', 'SIP/7.0x', 'SIP/7.0 ', `SIP/${'9'.repeat(20)}.0`]) {
    t.equal(parseError(BADVERS.replace('SIP/7.0\r\n', `${line}\r\n`))?.status, 400, `${JSON.stringify(line)}: not a version, a bad line`);
  }
  t.equal(parseError(BADVERS.replace('OPTIONS sip:', 'OPT(IONS sip:'))?.status, 400, 'a bad method is a bad line whatever the version');
  const res = salvageResponse(BADVERS, 505, err?.message ?? '');
  t.equal(res?.status, 505);
  t.match(res?.reason ?? '', /^Version Not Supported/);
  t.equal(res?.headers.find((h) => h.name === 'Via')?.value, 'SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw');
});
