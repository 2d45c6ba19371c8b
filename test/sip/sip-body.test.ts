/** Body classification and byte-exact rewriting: single bodies, RFC 5621 multiparts, hostile input. */
import t from 'tap';
import { rewriteBody } from '../../src/sip/body-rewrite.ts';
import { classifyBody } from '../../src/sip/sip-body.ts';
import type { BodyClass } from '../../src/sip/sip-body.ts';
import type { BodyPart } from '../../src/sip/body-part.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=dcmap:0 label="x"\r\n';
/** Every byte value, as an application/isup part would carry (latin1 byte string). */
const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

function parts(c: BodyClass): readonly BodyPart[] {
  if (c.kind !== 'parts') {
    throw new Error(`expected parts, got ${JSON.stringify(c)}`);
  }
  return c.parts;
}

function invalid(c: BodyClass): string {
  if (c.kind !== 'invalid') {
    throw new Error(`expected invalid, got ${c.kind}`);
  }
  return c.detail;
}

/** Builds a multipart body: each part is [headers (without final CRLF), content]. */
function multipart(boundary: string, ps: ReadonlyArray<readonly [string, string]>, opts: { preamble?: string; epilogue?: string } = {}): string {
  const pre = opts.preamble === undefined ? '' : `${opts.preamble}\r\n`;
  const body = ps.map(([h, c]) => `--${boundary}\r\n${h}\r\n\r\n${c}`).join('\r\n');
  const epi = opts.epilogue === undefined ? '' : `\r\n${opts.epilogue}`;
  return `${pre}${body}\r\n--${boundary}--${epi}`;
}

const MIXED_CT = 'multipart/mixed;boundary=unique-boundary-1';
const MIXED = multipart(
  'unique-boundary-1',
  [
    ['Content-Type: application/sdp\r\nContent-Disposition: session', SDP],
    ['Content-Type: application/isup;version=itu-t92+\r\nContent-Disposition: signal;handling=optional', ALL_BYTES],
  ],
  { preamble: 'preamble \u00ff\u0000', epilogue: 'epilogue\r\n' },
);

t.test('empty body is none, whatever the Content-Type', async (t) => {
  t.same(classifyBody(undefined, ''), { kind: 'none' });
  t.same(classifyBody('multipart/mixed', ''), { kind: 'none' });
  t.same(rewriteBody('application/sdp', '', () => 'x'), { body: '', contentType: 'application/sdp' });
});

t.test('single SDP body in odd case and with parameters (RFC 3261 20.15, RFC 2045 5.1)', async (t) => {
  for (const ct of ['application/sdp', 'Application/SDP', 'APPLICATION/sdp; charset=utf-8', ' application / sdp ;charset="utf-8";x=y', 'application/sdp;\tversion="a\\"b"']) {
    const ps = parts(classifyBody(ct, SDP));
    t.equal(ps.length, 1, ct);
    t.same(ps[0], { type: 'application/sdp', isSdp: true, content: SDP, disposition: null }, ct);
  }
  t.same(parts(classifyBody('application/sdp+xml', SDP))[0]?.isSdp, false);
  t.same(parts(classifyBody('text/plain', SDP))[0]?.type, 'text/plain');
});

t.test('unparseable Content-Type is invalid', async (t) => {
  for (const ct of ['', 'application', 'application/', '/sdp', 'application/sdp;', 'application/sdp charset=x', 'application/sdp;charset', 'application/sdp;a="x', 'appli cation/sdp', 'application/sdp;a=1;A=2', 'application/sdp\r\n', 'application/sdp;a="\u0001"']) {
    t.equal(classifyBody(ct, SDP).kind, 'invalid', JSON.stringify(ct));
  }
  t.match(invalid(classifyBody(undefined, SDP)), /body without Content-Type \(RFC 3261 20\.15\)/);
});

t.test('single body rewrite and removal', async (t) => {
  t.same(rewriteBody('Application/SDP', SDP, () => 'v=0\r\n'), { body: 'v=0\r\n', contentType: 'Application/SDP' });
  t.same(rewriteBody('application/sdp', SDP, () => undefined), { body: SDP, contentType: 'application/sdp' });
  t.same(rewriteBody('application/sdp', SDP, () => null), { body: '', contentType: undefined });
  t.throws(() => rewriteBody(undefined, SDP, () => null), /invalid body/);
  t.throws(() => rewriteBody('application/sdp', SDP, () => '\u0100'), RangeError);
});

t.test('multipart/mixed with SDP and binary isup (RFC 5621)', async (t) => {
  const ps = parts(classifyBody(MIXED_CT, MIXED));
  t.equal(ps.length, 2);
  t.same(ps[0], { type: 'application/sdp', isSdp: true, content: SDP, disposition: 'session' });
  t.same(ps[1], { type: 'application/isup', isSdp: false, content: ALL_BYTES, disposition: 'signal' });

  const seen: number[] = [];
  const same = rewriteBody(MIXED_CT, MIXED, (_p, i) => {
    seen.push(i);
    return undefined;
  });
  t.same(seen, [0, 1]);
  t.equal(same.body, MIXED, 'unchanged round trip is byte-exact');
  t.equal(same.contentType, MIXED_CT);
  t.equal(rewriteBody(MIXED_CT, MIXED, (p) => p.content).body, MIXED, 'identity rewrite is byte-exact');

  const NEW = 'v=0\r\ns=rewritten\r\n';
  const out = rewriteBody(MIXED_CT, MIXED, (p) => (p.isSdp ? NEW : undefined));
  t.equal(out.body, MIXED.replace(SDP, NEW), 'only the SDP bytes change');
  const again = parts(classifyBody(MIXED_CT, out.body));
  t.equal(again[0]?.content, NEW);
  t.equal(again[1]?.content, ALL_BYTES, 'binary part byte-exact after rewrite');
  t.equal(Buffer.from(again[1]?.content ?? '', 'latin1').length, 256);
});

t.test('part removal keeps the remaining multipart byte-exact', async (t) => {
  const first = rewriteBody(MIXED_CT, MIXED, (p) => (p.isSdp ? null : undefined));
  t.equal(
    first.body,
    multipart('unique-boundary-1', [['Content-Type: application/isup;version=itu-t92+\r\nContent-Disposition: signal;handling=optional', ALL_BYTES]], {
      preamble: 'preamble \u00ff\u0000',
      epilogue: 'epilogue\r\n',
    }),
  );
  t.equal(first.contentType, MIXED_CT);
  const last = rewriteBody(MIXED_CT, MIXED, (p) => (p.isSdp ? undefined : null));
  t.same(parts(classifyBody(MIXED_CT, last.body)).map((p) => p.type), ['application/sdp']);
  t.same(rewriteBody(MIXED_CT, MIXED, () => null), { body: '', contentType: undefined });
});

t.test('multipart/alternative and multipart/related are containers too', async (t) => {
  for (const sub of ['alternative', 'related', 'x-unknown', 'SIGNED']) {
    const ct = `Multipart/${sub}; boundary="b 1:=?"`;
    const body = multipart('b 1:=?', [
      ['Content-Type: text/plain', 'hello'],
      ['content-type:APPLICATION/SDP', SDP],
    ]);
    const ps = parts(classifyBody(ct, body));
    t.same(ps.map((p) => p.isSdp), [false, true], sub);
  }
});

t.test('nested multipart: SDP two levels down is found, rewritten, removed', async (t) => {
  const inner = multipart('inner', [
    ['Content-Type: application/sdp', SDP],
    ['Content-Type: application/resource-lists+xml', '<x/>'],
  ]);
  const middle = multipart('middle', [['Content-Type: multipart/alternative; boundary=inner', inner]]);
  const outer = multipart('outer', [
    ['Content-Type: text/plain', 'a'],
    ['Content-Type: multipart/related;\r\n boundary=middle', middle],
  ]);
  const ct = 'multipart/mixed; boundary=outer';
  const ps = parts(classifyBody(ct, outer));
  t.same(ps.map((p) => p.type), ['text/plain', 'application/sdp', 'application/resource-lists+xml']);
  t.equal(ps[1]?.content, SDP);
  t.equal(rewriteBody(ct, outer, (p) => p.content).body, outer);
  t.equal(rewriteBody(ct, outer, (p) => (p.isSdp ? 'v=1' : undefined)).body, outer.replace(SDP, 'v=1'));
  // Removing both inner leaves empties inner and middle: the whole middle part goes.
  const out = rewriteBody(ct, outer, (p) => (p.type === 'text/plain' ? undefined : null));
  t.equal(out.body, multipart('outer', [['Content-Type: text/plain', 'a']]));
  t.throws(() => rewriteBody(ct, outer, (p) => (p.isSdp ? 'x\r\n--OUTER\r\n' : undefined)), /boundary/);
});

t.test('malformed multiparts are invalid', async (t) => {
  const good = multipart('b', [['Content-Type: application/sdp', SDP]]);
  const cases: Array<[string, string, string, RegExp]> = [
    ['no close delimiter', 'multipart/mixed;boundary=b', good.slice(0, good.lastIndexOf('--b--')), /close delimiter/],
    ['boundary missing', 'multipart/mixed', good, /without boundary/],
    ['boundary too long', `multipart/mixed;boundary=${'b'.repeat(71)}`, good.replaceAll('--b', `--${'b'.repeat(71)}`), /1 to 70/],
    ['boundary empty', 'multipart/mixed;boundary=""', good, /1 to 70/],
    ['boundary ends with space', 'multipart/mixed;boundary="b "', good.replaceAll('--b', '--b '), /bchars/],
    ['boundary bad char', 'multipart/mixed;boundary="b;"', good.replaceAll('--b', '--b;'), /bchars/],
    ['boundary quoted-pair', 'multipart/mixed;boundary="\\b"', good, /quoted-pair/],
    ['no delimiter at all', 'multipart/mixed;boundary=zz', good, /without a delimiter/],
    ['close only', 'multipart/mixed;boundary=b', '--b--', /without a body part/],
    ['base64 SDP', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: application/sdp\r\nContent-Transfer-Encoding: base64', 'dj0w']]), /base64/],
    ['quoted-printable isup', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: application/isup\r\nContent-Transfer-Encoding: Quoted-Printable', 'x']]), /quoted-printable/],
    ['gzip part', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: application/sdp\r\nContent-Encoding: gzip', 'x']]), /gzip/],
    ['missing part Content-Type', 'multipart/mixed;boundary=b', multipart('b', [['Content-ID: <a@b>', SDP]]), /without Content-Type/],
    ['part without headers', 'multipart/mixed;boundary=b', '--b\r\n\r\nv=0\r\n--b--', /without Content-Type/],
    ['empty part', 'multipart/mixed;boundary=b', '--b\r\n\r\n--b--', /without Content-Type/],
    ['shared CRLF', 'multipart/mixed;boundary=b', '--b\r\n--b\r\nContent-Type: a/b\r\n\r\nx\r\n--b--', /shares its CRLF/],
    ['headers not terminated', 'multipart/mixed;boundary=b', '--b\r\nContent-Type: application/sdp\r\n--b--', /empty line/],
    ['duplicate part Content-Type', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: text/plain\r\ncontent-type: application/sdp', SDP]]), /duplicate/],
    ['compact c header', 'multipart/mixed;boundary=b', multipart('b', [['c: application/sdp', SDP]]), /refused/],
    ['Content-Length in part', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: application/sdp\r\nContent-Length: 3', SDP]]), /refused/],
    ['bare LF in headers', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: application/sdp\nX: y', SDP]]), /bare CR or LF/],
    ['continuation first', 'multipart/mixed;boundary=b', multipart('b', [[' Content-Type: application/sdp', SDP]]), /continuation/],
    ['LF-only delimiters', 'multipart/mixed;boundary=b', good.replaceAll('\r\n--b', '\n--b'), /CRLF/],
    ['LF-only delimiter line', 'multipart/mixed;boundary=b', good.replace('--b\r\n', '--b\n'), /CRLF/],
    ['boundary prefix of a line', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: text/plain', 'x\r\n--bogus']]), /CRLF/],
    ['boundary mid-line', 'multipart/mixed;boundary=bb', multipart('bb', [['Content-Type: text/plain', 'x--bb']]), /start of a CRLF/],
    ['boundary other case', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: text/plain', 'x\r\n--B\r\n']]), /letter case/],
    ['boundary in epilogue', 'multipart/mixed;boundary=b', `${good}\r\n--b\r\nContent-Type: application/sdp\r\n\r\n${SDP}`, /epilogue/],
    ['garbage after close', 'multipart/mixed;boundary=b', `${good}xyz`, /close delimiter not followed/],
    ['bad part media type', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: application', SDP]]), /Content-Type/],
    ['bad disposition', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: application/sdp\r\nContent-Disposition: ;x', SDP]]), /Content-Disposition/],
    ['nested boundary missing', 'multipart/mixed;boundary=b', multipart('b', [['Content-Type: multipart/mixed', 'x']]), /without boundary/],
  ];
  for (const [name, ct, body, re] of cases) {
    t.match(invalid(classifyBody(ct, body)), re, name);
  }
});

t.test('limits: depth and part count', async (t) => {
  const nest = (levels: number): string => {
    let body = SDP;
    let type = 'application/sdp';
    for (let l = levels; l >= 1; l--) {
      body = multipart(`b${l}`, [[`Content-Type: ${type}`, body]]);
      type = `multipart/mixed;boundary=b${l}`;
    }
    return body;
  };
  t.equal(parts(classifyBody('multipart/mixed;boundary=b1', nest(4))).length, 1, 'depth 4 is fine');
  t.match(invalid(classifyBody('multipart/mixed;boundary=b1', nest(5))), /deeper than 4/);
  t.equal(parts(classifyBody('multipart/mixed;boundary=b1', nest(5), { maxDepth: 5 })).length, 1);
  t.match(invalid(classifyBody('multipart/mixed;boundary=b1', nest(1), { maxDepth: 0 })), /deeper than 0/);

  const many = (n: number): string => multipart('b', Array.from({ length: n }, (_, i) => ['Content-Type: text/plain', `p${i}`] as const));
  t.equal(parts(classifyBody('multipart/mixed;boundary=b', many(16))).length, 16);
  t.match(invalid(classifyBody('multipart/mixed;boundary=b', many(17))), /more than 16/);
  t.match(invalid(classifyBody('multipart/mixed;boundary=b', many(3), { maxParts: 2 })), /more than 2/);
  // Leaves count across the whole tree, not per container.
  const two = many(9);
  const tree = multipart('o', [
    ['Content-Type: multipart/mixed;boundary=b', two],
    ['Content-Type: multipart/mixed;boundary=b', two],
  ]);
  t.match(invalid(classifyBody('multipart/mixed;boundary=o', tree)), /more than 16/);
  t.throws(() => classifyBody('text/plain', 'x', { maxParts: 0 }), RangeError);
});

t.test('hostile inputs classify fast', async (t) => {
  const KIB64 = 64 * 1024;
  const fill = (unit: string): string => unit.repeat(Math.ceil(KIB64 / unit.length)).slice(0, KIB64);
  const cases: Array<[string, string, string]> = [
    ['many delimiters', 'multipart/mixed;boundary=b', fill('\r\n--b\r\n')],
    ['many near-delimiters', 'multipart/mixed;boundary=b', `--b\r\nContent-Type: text/plain\r\n\r\n${fill('\r\n-')}`],
    ['huge preamble', 'multipart/mixed;boundary=b', `${fill('\r\n-x')}\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--`],
    ['dash boundary', 'multipart/mixed;boundary=-', fill('-')],
    ['long boundary prefix', `multipart/mixed;boundary=${'a'.repeat(70)}`, fill(`\r\n--${'a'.repeat(69)}`)],
    ['folded header', 'multipart/mixed;boundary=b', `--b\r\nContent-Type: text/plain\r\n${fill(' x\r\n')}\r\nx\r\n--b--`],
    ['huge quoted param', `text/plain;a="${'x'.repeat(KIB64)}"`, 'x'],
    ['no header end', 'multipart/mixed;boundary=b', `${'--b\r\nX: y\r\n\r\nz\r\n'.repeat(15)}--b\r\n${fill('X: y\r\n')}\r\n--b--`],
  ];
  for (const [name, ct, body] of cases) {
    // Warm up the JIT and regex compilation, then take the median of 7 runs so a GC pause in
    // one run does not fail the test; linear code lands far below the 10 ms bound.
    for (let k = 0; k < 10; k++) {
      classifyBody(ct, body);
    }
    const times: number[] = [];
    let kind = '';
    for (let k = 0; k < 7; k++) {
      const t0 = process.hrtime.bigint();
      kind = classifyBody(ct, body).kind;
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const ms = times.sort((a, b) => a - b)[3] ?? Infinity;
    t.ok(ms < 10, `${name}: median ${ms.toFixed(3)} ms (${kind})`);
  }
});
