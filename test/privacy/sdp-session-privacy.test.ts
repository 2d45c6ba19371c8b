import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { anonymiseSdpSession } from '../../src/privacy/sdp-session-privacy.ts';
import type { SdpSessionPrivacyContext } from '../../src/privacy/sdp-session-privacy.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { SdpParseError } from '../../src/sdp/sdp-parse-error.ts';
import { mediaArb } from '../sdp/fixtures/arbitraries.ts';
import type { MediaKind } from '../sdp/fixtures/arbitraries.ts';
import { IMS_OFFER, crlf } from '../sdp/fixtures/sdps.ts';

const CTX: SdpSessionPrivacyContext = { sessionId: '42', address: '192.0.2.99', addrType: 'IP4' };

const DC_SECTION = [
  'm=application 52718 UDP/DTLS/SCTP webrtc-datachannel',
  'i=Alice weather channel',
  'c=IN IP4 203.0.113.7',
  'b=AS:500',
  'a=setup:actpass',
  'a=fingerprint:SHA-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3C:5A:3F:0A:8E:96:61:2E:4D:2C:7B:31',
  'a=tls-id:abc3de65cddef001be82',
  'a=dcmap:0 subprotocol="http"',
];

/** A UE's offer full of identity at session level, plus one DC m-line. */
const PERSONAL = [
  'v=0',
  'o=+15551234567 2890844526 7 IN IP4 ue-alice.ims.example.net',
  's=Alice calling Bob',
  'i=Alice Smith private line',
  'u=http://alice.example.com/cv.pdf',
  'e=Alice Smith <alice@example.com>',
  'p=+1 555 123 4567',
  'c=IN IP4 203.0.113.7',
  't=0 0',
  ...DC_SECTION,
];

const ANONYMOUS = [
  'v=0',
  'o=- 42 7 IN IP4 192.0.2.99',
  's=-',
  'c=IN IP4 203.0.113.7',
  't=0 0',
  ...DC_SECTION.filter((l) => !l.startsWith('i=')),
];

function join(lines: readonly string[], eol: string): string {
  return lines.join(eol) + eol;
}

t.test('rewrites o= and s=, removes i=, u=, e=, p= at session and media level, leaves the rest byte for byte', async (t) => {
  t.equal(anonymiseSdpSession(join(PERSONAL, '\r\n'), CTX), join(ANONYMOUS, '\r\n'));
});

t.test('each rewrite on its own', async (t) => {
  const base = ['v=0', 'o=- 42 3 IN IP4 192.0.2.99', 's=-', 't=0 0'];
  const cases: readonly [string, readonly string[], readonly string[]][] = [
    ['o= username, id, address', ['v=0', 'o=alice 99 3 IN IP6 2001:db8::a1', 's=-', 't=0 0'], base],
    ['o= address type follows ctx', ['v=0', 'o=- 42 3 IN IP6 ::1', 's=-', 't=0 0'], base],
    ['o= with extra blanks', ['v=0', 'o=-  42\t3 IN  IP4 192.0.2.99 ', 's=-', 't=0 0'], base],
    ['o= missing fields after the version', ['v=0', 'o=alice 1 3', 's=-', 't=0 0'], base],
    ['s= name', ['v=0', 'o=- 42 3 IN IP4 192.0.2.99', 's=Alice calling', 't=0 0'], base],
    ['s= blank (RFC 4566 5.3)', ['v=0', 'o=- 42 3 IN IP4 192.0.2.99', 's= ', 't=0 0'], base],
    ['s= empty', ['v=0', 'o=- 42 3 IN IP4 192.0.2.99', 's=', 't=0 0'], base],
    ['i=', ['v=0', 'o=- 42 3 IN IP4 192.0.2.99', 's=-', 'i=Alice', 't=0 0'], base],
    ['u=', ['v=0', 'o=- 42 3 IN IP4 192.0.2.99', 's=-', 'u=http://alice.example/', 't=0 0'], base],
    ['e=', ['v=0', 'o=- 42 3 IN IP4 192.0.2.99', 's=-', 'e=alice@example.com', 'e=alice@example.org', 't=0 0'], base],
    ['p=', ['v=0', 'o=- 42 3 IN IP4 192.0.2.99', 's=-', 'p=+15551234567', 't=0 0'], base],
    ['media-level i=', ['v=0', 'o=- 42 3 IN IP4 192.0.2.99', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'i=Alice audio', 'a=sendrecv'], [...base, 'm=audio 4000 RTP/AVP 0', 'a=sendrecv']],
    ['o= inside a media section (not the origin, but it carries one)', ['v=0', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'o=alice 7 3 IN IP4 x'], ['v=0', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'o=- 42 3 IN IP4 192.0.2.99']],
  ];
  for (const [name, input, expected] of cases) {
    t.equal(anonymiseSdpSession(join(input, '\r\n'), CTX), join(expected, '\r\n'), name);
  }
  t.equal(
    anonymiseSdpSession(join(['v=0', 'o=alice 99 18446744073709551615 IN IP4 x', 's=-'], '\n'), { sessionId: '7', address: '2001:db8::1', addrType: 'IP6' }),
    join(['v=0', 'o=- 7 18446744073709551615 IN IP6 2001:db8::1', 's=-'], '\n'),
    '64-bit version kept exactly, IP6',
  );
});

t.test('c= and every a= line pass byte for byte (DTLS binding intact)', async (t) => {
  const raw = crlf(IMS_OFFER).replace('o=- 1733000000 1 IN IP4 198.51.100.10', 'o=alice 1733000000 1 IN IP4 198.51.100.10');
  const out = anonymiseSdpSession(raw, CTX);
  const keep = (text: string): string[] => text.split('\r\n').filter((l) => l.startsWith('a=') || l.startsWith('c=') || l.startsWith('m=') || l.startsWith('b=') || l.startsWith('t='));
  t.same(keep(out), keep(raw));
  t.equal(out, raw.replace('o=alice 1733000000 1 IN IP4 198.51.100.10', 'o=- 42 1 IN IP4 192.0.2.99'), 'only the o= line differs');
  t.match(out, /\r\nc=IN IP4 198\.51\.100\.10\r\n/, 'the media address is not touched');
});

t.test('nothing to change: the very same string', async (t) => {
  for (const raw of [join(ANONYMOUS, '\r\n'), join(ANONYMOUS, '\n'), 'v=0\r\n', 'v=0\r\nt=0 0', 'v=0\r\nm=audio 4000 RTP/AVP 0\r\n\r\n']) {
    t.equal(anonymiseSdpSession(raw, CTX), raw, JSON.stringify(raw.slice(0, 30)));
  }
});

t.test('idempotent: applying it twice gives what applying it once gives', async (t) => {
  for (const eol of ['\r\n', '\n']) {
    const once = anonymiseSdpSession(join(PERSONAL, eol), CTX);
    t.equal(anonymiseSdpSession(once, CTX), once);
  }
});

t.test('line endings: CRLF, LF, mixed, a lone CR, no final line ending, trailing empty lines', async (t) => {
  t.equal(anonymiseSdpSession(join(PERSONAL, '\n'), CTX), join(ANONYMOUS, '\n'), 'LF');
  t.equal(
    anonymiseSdpSession('v=0\r\no=alice 1 2 IN IP4 h\ns=Alice\re=a@b\r\nt=0 0\nm=audio 9 RTP/AVP 0\r\ni=x', CTX),
    'v=0\r\no=- 42 2 IN IP4 192.0.2.99\ns=-\rt=0 0\nm=audio 9 RTP/AVP 0\r\n',
    'each kept line keeps its own ending; dropping the unterminated last line keeps the one before it',
  );
  t.equal(anonymiseSdpSession('v=0\r\no=alice 1 2 IN IP4 h', CTX), 'v=0\r\no=- 42 2 IN IP4 192.0.2.99', 'rewritten last line stays unterminated');
  t.equal(anonymiseSdpSession('\r\nv=0\r\ne=a@b\r\n\r\n\r\n', CTX), '\r\nv=0\r\n\r\n\r\n', 'empty lines before v= and at the end kept');
});

t.test('an SDP the strict reader refuses throws SdpParseError (a hidden e= or o= is not passed on)', async (t) => {
  for (const raw of ['', 'hello', 'v=0\r\n e=alice@example.com\r\n', 'v=0\r\nE=alice@example.com\r\n', 'v=0\r\no =alice 1 1 IN IP4 x\r\n', 'v=0\r\n\r\np=+15551234567\r\n']) {
    t.throws(() => anonymiseSdpSession(raw, CTX), SdpParseError, JSON.stringify(raw));
  }
  for (const origin of ['o=alice', 'o=alice 1', 'o=alice 1 alice@example.com IN IP4 x', 'o=']) {
    try {
      anonymiseSdpSession(`v=0\r\n${origin}\r\ns=-\r\n`, CTX);
      t.fail(origin);
    } catch (error) {
      t.ok(error instanceof SdpParseError, `${origin}: SdpParseError`);
      t.match((error as Error).message, /^SDP line 2: o= line without a decimal session version/);
      t.notMatch((error as Error).message, /alice/, 'the message does not echo the identity');
    }
  }
});

t.test('a context that would not make one o= line is a RangeError', async (t) => {
  const raw = join(PERSONAL, '\r\n');
  const bad: readonly SdpSessionPrivacyContext[] = [
    { ...CTX, sessionId: '' },
    { ...CTX, sessionId: '4 2' },
    { ...CTX, sessionId: 'x1' },
    { ...CTX, address: '' },
    { ...CTX, address: '192.0.2.1\r\na=dcmap:1000 label="injected"' },
    { ...CTX, address: 'a b' },
    { ...CTX, address: 'h\u00e9te' },
    { ...CTX, addrType: 'IP5' as unknown as 'IP4' },
  ];
  for (const ctx of bad) {
    t.throws(() => anonymiseSdpSession(raw, ctx), RangeError, JSON.stringify(ctx));
  }
});

/** Distinctive values: a prefix no other line of the generated SDP contains, then a random tail. */
const tailArb = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 3, maxLength: 10 });

interface Line {
  readonly text: string;
  readonly eol: string;
}

interface PersonalSdp {
  readonly lines: readonly Line[];
  /** Every identity string the input carries that must not reach the peer. */
  readonly secrets: readonly string[];
  readonly version: string;
}

const personalSdpArb: fc.Arbitrary<PersonalSdp> = fc
  .record({
    user: tailArb.map((s) => `USR${s}`),
    // A 15-digit session id (RFC 4566 5.2: numeric); versions are at most 13 digits, ports 5, so it cannot occur by chance.
    sessionId: fc.bigInt({ min: 10n ** 14n, max: 10n ** 15n - 1n }).map((n) => `9${n.toString().slice(1)}`),
    version: fc.bigInt({ min: 0n, max: 10n ** 12n }).map(String),
    address: fc.oneof(
      tailArb.map((s) => `ue-${s}.ADDR.invalid`),
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `10.250.${a}.${b}`),
    ),
    name: fc.oneof(fc.constant('-'), tailArb.map((s) => `SNAME ${s} call`)),
    info: fc.option(tailArb.map((s) => `INFO-${s} private line`), { nil: null }),
    uri: fc.option(tailArb.map((s) => `http://URI-${s}.example/`), { nil: null }),
    emails: fc.array(tailArb.map((s) => `EMAIL-${s}@example.com (Alice)`), { maxLength: 2 }),
    phones: fc.array(tailArb.map((s) => `+1 555 PHONE-${s}`), { maxLength: 2 }),
    media: fc.array(fc.constantFrom<MediaKind>('audio', 'video', 'dc'), { maxLength: 4 }).chain((kinds) => fc.tuple(...kinds.map((k) => mediaArb(k, true)))),
    mediaInfo: fc.array(fc.option(tailArb.map((s) => `MINFO-${s}`), { nil: null }), { minLength: 4, maxLength: 4 }),
    eols: fc.array(fc.constantFrom('\r\n', '\n'), { minLength: 1, maxLength: 5 }),
    lastEol: fc.constantFrom('\r\n', '\n', ''),
    trailingEmpty: fc.boolean(),
  })
  .map((g) => {
    const secrets = [g.user, g.sessionId, g.address, ...(g.name === '-' ? [] : [g.name]), ...[g.info, g.uri].filter((v) => v !== null), ...g.emails, ...g.phones];
    const texts = [
      'v=0',
      `o=${g.user} ${g.sessionId} ${g.version} IN IP4 ${g.address}`,
      `s=${g.name}`,
      ...(g.info === null ? [] : [`i=${g.info}`]),
      ...(g.uri === null ? [] : [`u=${g.uri}`]),
      ...g.emails.map((e) => `e=${e}`),
      ...g.phones.map((p) => `p=${p}`),
      'c=IN IP4 198.51.100.10',
      't=0 0',
    ];
    g.media.forEach((m, i) => {
      const [mLine = '', ...rest] = m.lines;
      const info = g.mediaInfo[i] ?? null;
      texts.push(mLine, ...(info === null ? [] : [`i=${info}`]), ...rest);
      if (info !== null) {
        secrets.push(info);
      }
    });
    const lines = texts.map((text, i) => ({ text, eol: i === texts.length - 1 ? g.lastEol : (g.eols[i % g.eols.length] ?? '\r\n') }));
    if (g.trailingEmpty && g.lastEol !== '') {
      lines.push({ text: '', eol: '\r\n' }); // a final CRLF CRLF: an empty line, kept as it is
    }
    return { lines, secrets, version: g.version };
  });

function render(lines: readonly Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

/** What the function must produce, written from the model rather than the code: o= and s= replaced, i/u/e/p lines gone. */
function expected(sdp: PersonalSdp, ctx: SdpSessionPrivacyContext): string {
  const out: Line[] = [];
  for (const line of sdp.lines) {
    const type = line.text.charAt(0);
    if (type === 'o') {
      out.push({ text: `o=- ${ctx.sessionId} ${sdp.version} IN ${ctx.addrType} ${ctx.address}`, eol: line.eol });
    } else if (type === 's') {
      out.push({ text: 's=-', eol: line.eol });
    } else if (!['i', 'u', 'e', 'p'].includes(type)) {
      out.push(line);
    }
  }
  // A dropped last line leaves the ending of the line before it as the body's end.
  return render(out);
}

const ctxArb: fc.Arbitrary<SdpSessionPrivacyContext> = fc.record({
  sessionId: fc.bigInt({ min: 0n, max: 10n ** 10n }).map(String),
  address: fc.constantFrom('192.0.2.99', 'guard.operator.example', '2001:db8::99'),
  addrType: fc.constantFrom<'IP4' | 'IP6'>('IP4', 'IP6'),
});

t.test('property: no identity of the input reaches the output; everything else byte for byte; idempotent', async (t) => {
  fc.assert(
    fc.property(personalSdpArb, ctxArb, (sdp, ctx) => {
      const raw = render(sdp.lines);
      const out = anonymiseSdpSession(raw, ctx);
      for (const secret of sdp.secrets) {
        assert.ok(!out.includes(secret), `${secret} leaked`);
      }
      for (const prefix of ['USR', 'ADDR', 'SNAME', 'INFO-', 'URI-', 'EMAIL-', 'PHONE-', 'MINFO-']) {
        assert.ok(!out.includes(prefix), `${prefix} leaked`);
      }
      assert.equal(out, expected(sdp, ctx));
      assert.equal(anonymiseSdpSession(out, ctx), out, 'idempotent');
      const before = readSdp(raw);
      const after = readSdp(out);
      assert.deepEqual(after.mediaTypes, before.mediaTypes);
      assert.deepEqual(after.dcMedia, before.dcMedia, 'the DC model is untouched');
      assert.deepEqual(after.origin, { username: '-', sessionId: ctx.sessionId, sessionVersion: sdp.version });
    }),
    { numRuns: 300 },
  );
  t.pass('property holds');
});
