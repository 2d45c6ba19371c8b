/**
 * The profile's message limits, enforced by the parser before anything above it looks at a
 * message: each bound answers with its status (513 sizes, 400 header counts, 413 bodies) and a
 * reason naming the bound, and a message just inside every bound still parses.
 */
import t from 'tap';
import { DEFAULT_MESSAGE_LIMITS, type MessageLimits } from '../../src/sip/message-limits.ts';
import { SipParseError } from '../../src/sip/sip-parse-error.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { OFFER_SDP, sipMessage } from './fixtures/sip-fixtures.ts';

const HEAD = [
  'INVITE sip:bob@ims.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKlim',
  'From: <sip:alice@ims.example.com>;tag=1',
  'To: <sip:bob@ims.example.com>',
  'Call-ID: limits@192.0.2.1',
  'CSeq: 1 INVITE',
  'Max-Forwards: 70',
];

function refusal(text: string, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): { status: number; reason: string } | null {
  try {
    parseSipMessage(text, limits);
    return null;
  } catch (error) {
    if (error instanceof SipParseError) {
      return { status: error.status, reason: error.message };
    }
    throw error;
  }
}

function invite(extra: readonly string[], body = '', type = 'application/sdp'): string {
  return sipMessage([...HEAD, ...extra, ...(body === '' ? [] : [`Content-Type: ${type}`]), 'Content-Length: auto'], body);
}

function sdpWith(mLines: number, extraLines = 0): string {
  const lines = OFFER_SDP.split('\r\n').filter((l) => l !== '');
  // OFFER_SDP has two m-lines (audio, application).
  for (let i = 2; i < mLines; i++) {
    lines.push(`m=audio ${50000 + 2 * i} RTP/AVP 0`);
  }
  for (let i = 0; i < extraLines; i++) {
    lines.push(`a=x-filler:${i}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

t.test('the attack that was seen: a From with 29,000 parameters is refused before any policy work', async (t) => {
  const withFrom = (params: number): string => invite([]).replace('From: <sip:alice@ims.example.com>;tag=1', `From: <sip:as@198.51.100.3>;tag=1${';p'.repeat(params)}`);
  // 59 KB fits the message size; the line is too long.
  t.strictSame(refusal(withFrom(29_000)), { status: 513, reason: 'Message Too Large: a From header line is longer than 8192 bytes' });
  // Short enough a line, still far too many parameters.
  t.strictSame(refusal(withFrom(4_000)), { status: 400, reason: 'more than 64 parameters on a From header line' });
});

t.test('each bound answers with its status and says which bound', async (t) => {
  const l = DEFAULT_MESSAGE_LIMITS;
  t.strictSame(refusal(invite([`Subject: ${'x'.repeat(8200)}`])), { status: 513, reason: 'Message Too Large: a Subject header line is longer than 8192 bytes' });
  t.strictSame(refusal(invite(Array.from({ length: 9 }, () => `X-Big: ${'y'.repeat(8000)}`))), { status: 513, reason: 'Message Too Large: more than 65535 bytes' });
  t.strictSame(refusal(invite([`Contact: <sip:a@h>${';+x'.repeat(65)}`])), { status: 400, reason: 'more than 64 parameters on a Contact header line' });
  t.strictSame(refusal(invite(Array.from({ length: 33 }, (_, i) => `Record-Route: <sip:p${i}.example.net;lr>`))), { status: 400, reason: 'more than 32 Record-Route entries' });
  t.strictSame(refusal(invite([`Route: ${Array.from({ length: 40 }, (_, i) => `<sip:p${i}.example.net;lr>`).join(', ')}`])), { status: 400, reason: 'more than 32 Route entries' });
  const vias = Array.from({ length: 32 }, (_, i) => `Via: SIP/2.0/UDP 192.0.2.${i}:5060;branch=z9hG4bK${i}`);
  t.strictSame(refusal(invite(vias)), { status: 400, reason: 'more than 32 Via entries' }, 'the top Via counts too');
  t.strictSame(refusal(invite([], sdpWith(1, l.maxSdpLines))), { status: 413, reason: 'Request Entity Too Large: more than 256 lines of SDP' });
  t.strictSame(refusal(invite([], sdpWith(17))), { status: 413, reason: 'Request Entity Too Large: more than 16 SDP m-lines' });
});

t.test('separators inside quoted strings are not parameters, commas inside <...> are not entries', async (t) => {
  const display = `"${'a;b,'.repeat(100)}"`;
  t.equal(refusal(invite([`P-Asserted-Identity: ${display} <sip:x@h;p=1,2>`])), null);
});

t.test('multipart: parts and nesting are bounded, and SDP inside a part is bounded like a single body', async (t) => {
  const part = (type: string, content: string): string => `Content-Type: ${type}\r\n\r\n${content}`;
  const multipart = (boundary: string, parts: readonly string[]): string => `${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`;
  const five = multipart('b1', Array.from({ length: 5 }, () => part('text/plain', 'x')));
  t.strictSame(refusal(invite([], five, 'multipart/mixed;boundary=b1')), { status: 413, reason: 'Request Entity Too Large: more than 4 body parts' });
  const inner = multipart('b3', [part('text/plain', 'x')]);
  const middle = multipart('b2', [part('multipart/mixed;boundary=b3', inner)]);
  const outer = multipart('b1', [part('multipart/mixed;boundary=b2', middle)]);
  t.strictSame(refusal(invite([], outer, 'multipart/mixed;boundary=b1')), { status: 413, reason: 'Request Entity Too Large: multipart nested deeper than 2' });
  const bigSdp = multipart('b1', [part('application/sdp', sdpWith(17)), part('text/plain', 'x')]);
  t.strictSame(refusal(invite([], bigSdp, 'multipart/mixed;boundary=b1')), { status: 413, reason: 'Request Entity Too Large: more than 16 SDP m-lines' });
  const fine = multipart('b1', [part('application/sdp', OFFER_SDP), part('application/isup', 'binary')]);
  t.equal(refusal(invite([], fine, 'multipart/mixed;boundary=b1')), null);
  // Each part within the bound, together over it: the bound is the policing work of one message.
  const split = multipart('b1', [part('application/sdp', sdpWith(10)), part('application/sdp', sdpWith(10))]);
  t.strictSame(refusal(invite([], split, 'multipart/mixed;boundary=b1')), { status: 413, reason: 'Request Entity Too Large: more than 16 SDP m-lines' });
});

t.test('a message just inside every bound parses; the bounds are the profile\'s, not fixed', async (t) => {
  const l = DEFAULT_MESSAGE_LIMITS;
  const lines = [
    `Contact: <sip:a@h>${';+x'.repeat(l.maxParamsPerHeader)}`,
    ...Array.from({ length: l.maxListEntries }, (_, i) => `Record-Route: <sip:p${i}.example.net;lr>`),
    `Subject: ${'s'.repeat(l.maxHeaderBytes - 'Subject: '.length)}`,
  ];
  const base = sdpWith(2).split('\r\n').length - 1;
  const sdp = sdpWith(l.maxSdpMedia, l.maxSdpLines - base - (l.maxSdpMedia - 2));
  t.equal(sdp.split('\r\n').length - 1, l.maxSdpLines, 'the SDP is at its line limit');
  t.equal(refusal(invite(lines, sdp)), null);
  const tight: MessageLimits = { ...l, maxListEntries: 4, maxSdpMedia: 1 };
  t.strictSame(refusal(invite(lines.slice(0, 6)), tight), { status: 400, reason: 'more than 4 Record-Route entries' });
  t.strictSame(refusal(invite([], sdpWith(2)), tight), { status: 413, reason: 'Request Entity Too Large: more than 1 SDP m-lines' });
});
