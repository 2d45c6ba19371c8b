/**
 * Hostile and random input: the parsers must answer with SipParseError (never another
 * exception), promptly, whatever they are fed.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import t from 'tap';
import { parseCSeq } from '../../src/sip/cseq.ts';
import { parseGenericParams, parseParams, splitHeaderValues } from '../../src/sip/header-values.ts';
import { parseNameAddr } from '../../src/sip/name-addr.ts';
import type { MessageLimits } from '../../src/sip/message-limits.ts';
import type { SipMessage } from '../../src/sip/sip-message.ts';
import { SipParseError } from '../../src/sip/sip-parse-error.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import { parseUri } from '../../src/sip/sip-uri.ts';
import { parseVia } from '../../src/sip/via.ts';
import { COMPACT_INVITE, FOLDED_OPTIONS, INVITE, OK_200, parseErrorOf } from './fixtures/sip-fixtures.ts';

const START = 'INVITE sip:bob@ims.example.com SIP/2.0';
const MANDATORY = [
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKh',
  'From: <sip:alice@ims.example.com>;tag=1',
  'To: <sip:bob@ims.example.com>',
  'Call-ID: hostile@192.0.2.1',
  'CSeq: 1 INVITE',
];
const MB = 1024 * 1024;

/**
 * The profile's limits off, but for the parser's own hard bounds (header lines, section size,
 * multipart): these tests show the parser holds by itself; message-limits.test.ts shows the limits.
 */
const UNLIMITED: MessageLimits = {
  maxMessageBytes: Infinity,
  maxHeaders: 256,
  maxHeaderBytes: Infinity,
  maxParamsPerHeader: Infinity,
  maxListEntries: Infinity,
  maxSdpLines: Infinity,
  maxSdpMedia: Infinity,
  maxBodyParts: 16,
  maxMultipartDepth: 4,
};
const parseUnlimited = (input: string): SipMessage => parseSipMessage(input, UNLIMITED);

function withHeaders(extra: readonly string[], body = ''): string {
  return `${[START, ...MANDATORY, ...extra].join('\r\n')}\r\n\r\n${body}`;
}

t.test('missing header/body separator', async (t) => {
  t.equal(parseErrorOf(() => parseSipMessage(`${[START, ...MANDATORY].join('\r\n')}\r\n`)), 'no empty line after the headers');
  t.equal(parseErrorOf(() => parseSipMessage([START, ...MANDATORY].join('\r\n'))), 'no empty line after the headers');
  t.equal(parseErrorOf(() => parseSipMessage(START)), 'no empty line after the headers');
});

t.test('header count is capped at 256 lines', async (t) => {
  const filler = (n: number): string[] => Array.from({ length: n }, (_, i) => `X-Filler-${i}: ${i}`);
  t.equal(parseUnlimited(withHeaders(filler(256 - MANDATORY.length))).headers.length, 256);
  t.equal(parseErrorOf(() => parseUnlimited(withHeaders(filler(257 - MANDATORY.length)))), 'more than 256 header lines');
  t.equal(parseErrorOf(() => parseUnlimited(withHeaders(filler(10_000)))), 'more than 256 header lines');
  t.equal(parseErrorOf(() => parseUnlimited(withHeaders(Array.from({ length: 10_000 }, () => 'v: SIP/2.0/UDP h')))), 'more than 256 header lines');
});

t.test('absurd lengths', async (t) => {
  const tooLong = 'header section longer than 65536 characters';
  t.equal(parseErrorOf(() => parseUnlimited(withHeaders([`Subject: ${'x'.repeat(MB)}`]))), tooLong);
  t.equal(parseErrorOf(() => parseUnlimited(`${START}\r\nSubject: ${'x'.repeat(MB)}`)), tooLong, 'no line end at all');
  t.equal(parseErrorOf(() => parseUnlimited(`INVITE sip:${'a'.repeat(MB)}@h SIP/2.0\r\n\r\n`)), tooLong, 'huge start line');
  t.equal(parseErrorOf(() => parseUnlimited(withHeaders(Array.from({ length: 100_000 }, () => ' folded')))), tooLong, 'endless folding');
  t.equal(parseErrorOf(() => parseUnlimited(withHeaders(['Content-Length: 9999999999'], 'body'))), 'body shorter than Content-Length (4 < 9999999999)');
  t.equal(parseErrorOf(() => parseUnlimited(withHeaders([`Content-Length: ${'9'.repeat(1000)}`]))), `bad Content-Length header "${'9'.repeat(40)}..."`);
  // a large body is fine: limits apply to the header section only
  const body = 'a'.repeat(MB);
  t.equal(parseUnlimited(withHeaders([`Content-Length: ${MB}`], body)).body.length, MB);
});

t.test('unbalanced quotes and brackets', async (t) => {
  const cases: Array<[string, string]> = [
    ['From: "Alice <sip:alice@ims.example.com>;tag=1', 'bad From header: unterminated quoted display name'],
    ['From: "Alice \\" <sip:alice@ims.example.com>;tag=1', 'bad From header: unterminated quoted display name'],
    ['From: <sip:alice@ims.example.com;tag=1', 'bad From header: missing > after URI'],
    ['From: Alice" <sip:alice@ims.example.com>;tag=1', 'bad From header: bad display name "Alice\\""'],
    ['From: <sip:alice@ims.example.com>;tag="1', 'bad From header: bad value for parameter tag: "\\"1"'],
    [`From: ${'<'.repeat(60_000)}`, 'bad From header: missing > after URI'],
    [`From: ${'"'.repeat(60_001)}`, 'bad From header: expected < after quoted display name'],
    [`From: <sip:a@h>${';'.repeat(60_000)}`, 'bad From header: bad parameter name ""'],
    ['From: <sip:alice@[::1>', 'bad From header: bad sip URI "sip:alice@[::1"'],
    ['Via: SIP/2.0/UDP [2001:db8::1:5060', 'bad Via header: unterminated IPv6 reference in "SIP/2.0/UDP [2001:db8::1:5060"'],
  ];
  for (const [line, reason] of cases) {
    const headers = [...MANDATORY.filter((h) => !h.startsWith(line.slice(0, line.indexOf(':') + 1))), line];
    t.equal(parseErrorOf(() => parseUnlimited(`${[START, ...headers].join('\r\n')}\r\n\r\n`)), reason, line.slice(0, 60));
  }
});

t.test('no quadratic blow-up on repeated delimiters', async (t) => {
  const params = ';a'.repeat(30_000);
  const started = performance.now();
  const msg = parseUnlimited(withHeaders([]).replace('To: <sip:bob@ims.example.com>', `To: <sip:bob@h${params}>`));
  t.equal(msg.headers.length, 5);
  t.equal(parseUri(`sip:h${params}`)?.params.length, 30_000);
  t.equal(splitHeaderValues(','.repeat(60_000)).length, 0);
  t.equal(parseParams(';'.repeat(60_000)).length, 0);
  t.ok(performance.now() - started < 1000, 'well under a second');
});

t.test('garbage bytes, empty input, wrong types', async (t) => {
  t.equal(parseErrorOf(() => parseSipMessage('')), 'empty message');
  t.equal(parseErrorOf(() => parseSipMessage(Buffer.alloc(0))), 'empty message');
  t.equal(parseErrorOf(() => parseSipMessage('\r\n\r\n\n')), 'empty message');
  t.equal(parseErrorOf(() => parseSipMessage(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0xc3]))), 'no empty line after the headers');
  t.equal(parseErrorOf(() => parseSipMessage(Buffer.from([0x00, 0x01, 0x0a, 0x0a]))), 'control character in line 1');
  t.equal(parseErrorOf(() => parseSipMessage(Buffer.from('\u0016\u0003\u0001\u0002\u0000\u0001\n\n', 'latin1'))), 'control character in line 1', 'TLS ClientHello on a plain port');
  t.equal(parseErrorOf(() => parseSipMessage('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), 'bad request line "GET / HTTP/1.1"');
  t.equal(parseErrorOf(() => parseSipMessage('\r\r\r\n\n')), 'control character in line 1');
  const wrongTypes: unknown[] = [null, undefined, 42, {}, ['INVITE'], new Uint8Array([0x41])];
  for (const value of wrongTypes) {
    t.equal(parseErrorOf(() => parseSipMessage(value as string)), 'input is neither a string nor a Buffer', typeof value);
  }
});

/** Passes when `fn` returns or throws SipParseError; any other exception fails the property. */
function onlySipParseError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof SipParseError)) {
      throw err;
    }
  }
  return true;
}

/** Characters that matter to the grammars, so random strings reach deep into the parsers. */
const SIP_CHARS = fc.constantFrom(...'"\\<>;,:@[]=?/ \t\r\nabcSIP2.0%+-*#tagvi'.split(''), 'sip:', 'tel:', 'SIP/2.0', 'From: ', '\r\n\r\n', ' <sip:a@b>');
const sipish = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: SIP_CHARS, maxLength });
const FIXTURES = [INVITE, COMPACT_INVITE, FOLDED_OPTIONS, OK_200];
const RUNS = { seed: 20240601, numRuns: 400 };

t.test('fuzz: value parsers only ever throw SipParseError', async (t) => {
  fc.assert(
    fc.property(fc.oneof(sipish(80), fc.string({ unit: 'binary', maxLength: 80 })), (s) => {
      const uri = parseUri(s);
      t.ok(uri === null || typeof uri.host === 'string');
      splitHeaderValues(s);
      parseParams(s);
      return (
        onlySipParseError(() => parseNameAddr(s)) &&
        onlySipParseError(() => parseVia(s)) &&
        onlySipParseError(() => parseCSeq(s)) &&
        onlySipParseError(() => parseGenericParams(s))
      );
    }),
    RUNS,
  );
  t.pass('no other exception');
});

/** The message without Content-Length lines, to compare before/after re-serialization. */
function withoutLength(msg: SipMessage): SipMessage {
  return { ...msg, headers: msg.headers.filter((h) => h.name !== 'Content-Length') };
}

t.test('fuzz: mutated real messages give SipParseError or a message that round-trips', async (t) => {
  let parsed = 0;
  fc.assert(
    fc.property(fc.constantFrom(...FIXTURES), fc.nat(), fc.nat({ max: 12 }), sipish(12), (fixture, at, cut, insert) => {
      const pos = at % (fixture.length + 1);
      const text = fixture.slice(0, pos) + insert + fixture.slice(pos + cut);
      let msg: SipMessage;
      try {
        msg = parseSipMessage(text);
      } catch (err) {
        if (err instanceof SipParseError) {
          return true;
        }
        throw err;
      }
      parsed++;
      const again = parseSipMessage(serializeSipMessage(msg));
      t.same(withoutLength(again), withoutLength(msg));
      return again.headers.some((h) => h.name === 'Content-Length' && h.value === String(Buffer.byteLength(msg.body)));
    }),
    { ...RUNS, numRuns: 600 },
  );
  t.ok(parsed > 50, `some mutations still parse (${parsed})`);
});

t.test('fuzz: random bytes and strings', async (t) => {
  fc.assert(
    fc.property(fc.oneof(sipish(300), fc.string({ unit: 'binary', maxLength: 300 })), (s) => onlySipParseError(() => parseSipMessage(s))),
    RUNS,
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlySipParseError(() => parseSipMessage(Buffer.from(bytes)))),
    RUNS,
  );
  t.pass('no other exception');
});

t.test('found by the fuzzer: white space SIP does not know, and bytes that are not UTF-8, are refused, not skipped', async (t) => {
  // 0xA0 alone: JavaScript's trim() skipped it as a no-break space, so ";\xA0tag=x" passed as a
  // tag the stored (U+FFFD) value then did not have.
  const nbspByte = Buffer.from('INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;\u00a0tag=x\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n', 'latin1');
  t.equal(parseErrorOf(() => parseSipMessage(nbspByte)), 'the To header is not valid UTF-8');
  // The same as valid UTF-8 (C2 A0): a strict peer reads a parameter named "\u00a0tag".
  const nbsp = 'INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;\u00a0tag=x\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
  t.equal(parseErrorOf(() => parseSipMessage(nbsp)), 'the To header holds white space SIP does not know (only SP and HTAB separate)');
  t.equal(parseErrorOf(() => parseSipMessage(nbsp.replace('branch=z9hG4bK-1', '\u2028branch=z9hG4bK-1'))), 'the Via header holds white space SIP does not know (only SP and HTAB separate)');
  // UTF-8 text where SIP allows it still passes.
  const display = parseSipMessage(nbsp.replace(';\u00a0tag=x', '').replace('From: <sip:a@h>', 'From: "Zoë" <sip:a@h>'));
  t.equal(display.headers.find((h) => h.name === 'From')?.value, '"Zoë" <sip:a@h>;tag=1');
});
