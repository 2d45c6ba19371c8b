/**
 * The attacker's side of readSdp: lines a lenient peer may read but the guard would not see
 * (RFC 4566 section 5: every line is `<type>=<value>`). Each trick must make the body an
 * SdpParseError naming the line, never a DC m-line or channel that slips by unpoliced.
 */
import t from 'tap';
import type { Test } from 'tap';
import { applyDcEdits } from '../../src/sdp/dc-rewrite.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { SdpParseError } from '../../src/sdp/sdp-parse-error.ts';

const SESSION = ['v=0', 'o=alice 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0'];
const DC = 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel';
/** An allowed-looking DC m-line with one granted channel, into which the attacker smuggles more. */
const ALLOWED = [DC, 'a=dcmap:1000 label="ok"', 'a=3gpp-req-app:com.example.granted'];

function body(lines: readonly string[], eol = '\r\n'): string {
  return lines.join(eol) + eol;
}

/** Asserts that `raw` is refused and that the message names `line` (1-based) but not the o= username. */
function refused(t: Test, raw: string, line: number, name: string): void {
  try {
    const view = readSdp(raw);
    t.fail(`${name}: read as ${view.mediaCount} m-line(s), ${view.dcMedia.length} DC`);
  } catch (error) {
    t.ok(error instanceof SdpParseError, `${name}: SdpParseError`);
    const message = (error as Error).message;
    t.match(message, new RegExp(`^SDP line ${line}: \\S`), `${name}: says which line (${message})`);
    t.notMatch(message, /alice/, `${name}: the message does not echo SDP text`);
  }
}

/** Hidden m-lines: the line right after the session section (line 5) or after an allowed DC m-line (line 8). */
const HIDDEN_MLINES: readonly [string, string][] = [
  ['leading space', ' m=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['leading tab', '\tm=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['upper-case type', 'M=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['space before =', 'm =application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['tab before =', 'm\t=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['two-letter type', 'mm=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['no = at all', 'm application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['BOM before the type', '\ufeffm=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['NUL before the type', '\u0000m=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['NBSP before the type', '\u00a0m=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['NBSP as field separator (proto would read as UDP/DTLS/SCTP\\u00a0webrtc-datachannel)', 'm=application 9 UDP/DTLS/SCTP\u00a0webrtc-datachannel'],
  ['ideographic space as field separator', 'm=application\u30009\u3000UDP/DTLS/SCTP\u3000webrtc-datachannel'],
  ['NUL as field separator', 'm=application 9 UDP/DTLS/SCTP\u0000webrtc-datachannel'],
  ['VT inside an attribute (a line break to Python splitlines)', 'a=x\u000bm=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['FF inside an attribute', 'a=x\u000cm=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['NEL inside an attribute', 'a=x\u0085m=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['U+2028 inside an attribute', 'a=x\u2028m=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['U+2029 inside an attribute', 'a=x\u2029m=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['file separator inside an attribute', 'a=x\u001cm=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
  ['DEL inside an attribute', 'a=x\u007fm=application 9 UDP/DTLS/SCTP webrtc-datachannel'],
];

t.test('a hidden DC m-line at session level makes the body an SdpParseError', async (t) => {
  for (const [name, line] of HIDDEN_MLINES) {
    refused(t, body([...SESSION, line, 'a=dcmap:0 subprotocol="http"']), 5, name);
  }
});

t.test('a hidden DC m-line after an allowed DC m-line makes the body an SdpParseError', async (t) => {
  for (const [name, line] of HIDDEN_MLINES) {
    refused(t, body([...SESSION, ...ALLOWED, line, 'a=dcmap:1001 label="evil"']), 8, name);
    refused(t, body([...SESSION, ...ALLOWED, line, 'a=dcmap:1001 label="evil"'], '\n'), 8, `${name} (LF)`);
  }
});

t.test('a hidden dcmap, dcsa or 3gpp-req-app line inside an allowed DC m-line makes the body an SdpParseError', async (t) => {
  const tricks: readonly [string, string][] = [
    ['upper-case type', 'A=dcmap:1001 label="evil"'],
    ['leading space', ' a=dcmap:1001 label="evil"'],
    ['space before =', 'a =dcmap:1001 label="evil"'],
    ['no =', 'dcmap:1001 label="evil"'],
    ['upper-case req-app line', 'A=3gpp-req-app:com.example.evil'],
    ['upper-case dcsa line', 'A=dcsa:1000 3gpp-req-app:com.example.evil'],
    ['NUL in a dcmap line', 'a=dcmap:1001 label="evil"\u0000'],
    ['VT as separator in a dcmap line', 'a=dcmap:1001\u000blabel="evil"'],
    ['NBSP as separator in a dcmap line', 'a=dcmap:1001\u00a0label="evil"'],
    ['stream id glued to the parameters (parseInt reads 1001)', 'a=dcmap:1001;label="evil"'],
    ['stream id with a sign', 'a=dcmap:+1001 label="evil"'],
    ['stream id out of 16 bits (a wrapping peer reads 0)', 'a=dcmap:65536 subprotocol="http"'],
    ['stream id with six digits', 'a=dcmap:001001 label="evil"'],
    ['dcmap without stream id', 'a=dcmap:'],
    ['dcmap without colon', 'a=dcmap'],
    ['quote confusion (a naive ; split reads subprotocol="http")', 'a=dcmap:0 label="x;subprotocol="http"'],
    ['unterminated quote', 'a=dcmap:0 subprotocol="http'],
    ['stray quote in an unquoted value', 'a=dcmap:0 subprotocol=http"'],
    ['subprotocol twice (first x-app, last http)', 'a=dcmap:0 subprotocol="x-app";subprotocol="http"'],
    ['label twice', 'a=dcmap:1001 label="a";LABEL="b"'],
    ['dcsa with glued stream id', 'a=dcsa:1000;3gpp-req-app:com.example.evil'],
    ['dcsa without stream id', 'a=dcsa:3gpp-req-app:com.example.evil'],
    ['dcsa with stream id out of 16 bits', 'a=dcsa:66536 3gpp-req-app:com.example.evil'],
    ['DCSA in capitals, glued id', 'a=DCSA:1000;3gpp-req-app:com.example.evil'],
  ];
  for (const [name, line] of tricks) {
    refused(t, body([...SESSION, ...ALLOWED, line]), 8, name);
  }
});

t.test('empty and blank lines: only at the very end (and before v=)', async (t) => {
  refused(t, body([...SESSION, '', ...ALLOWED]), 5, 'empty line before an m-line');
  refused(t, body([...SESSION, ...ALLOWED, '', 'a=dcmap:1001 label="evil"']), 8, 'empty line inside an m-section');
  refused(t, body([...SESSION, ...ALLOWED, ' ', 'a=dcmap:1001 label="evil"']), 8, 'blank line');
  refused(t, body([...SESSION, ...ALLOWED, '\t']), 8, 'tab-only line at the end');
  refused(t, body([...SESSION, ...ALLOWED]) + '  \r\n', 8, 'blank line at the end');
  refused(t, 'v=0\r\n\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n', 2, 'empty line after v=');
  refused(t, 'v=0\r\rm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r', 2, 'lone CR CR in the middle');
});

t.test('tolerated: empty lines at the very end, kept byte for byte through a rewrite', async (t) => {
  for (const tail of ['\r\n', '\r\n\r\n', '\n\n\n', '\r\r']) {
    const raw = [...SESSION, ...ALLOWED].join('\r\n') + tail;
    const view = readSdp(raw);
    t.equal(view.raw, raw);
    t.equal(view.dcMedia[0]?.channels.length, 1, JSON.stringify(tail));
    t.equal(applyDcEdits(view, { refuseMedia: [], removeChannels: [] }), raw, 'unchanged: the very same string');
    const out = applyDcEdits(view, { refuseMedia: [0], removeChannels: [] });
    t.ok(out.endsWith('m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n' + tail.slice(tail.startsWith('\r\n') ? 2 : 1)), `refused, tail kept: ${JSON.stringify(out.slice(-60))}`);
    t.equal(readSdp(out).dcMedia[0]?.port, 0);
  }
});

t.test('tolerated: blanks after = are read as a lenient peer reads them, so nothing hides there', async (t) => {
  const view = readSdp(body([...SESSION, 'm= application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a= dcmap:1000 label="x"', 'a=dcsa: 1000 3gpp-req-app:com.example.x', 'b= AS:100']));
  t.equal(view.dcMedia.length, 1, 'the m-line is a DC m-line to the guard');
  t.match(view.dcMedia[0], { port: 9, bandwidthKbps: 100 });
  t.same(
    view.dcMedia[0]?.channels.map((c) => [c.streamId, c.appId]),
    [[1000, 'com.example.x']],
  );
  t.equal(readSdp(body(['v=0', 'o=- 1 1 IN IP4 x', 's= ', 't=0 0'])).origin?.username, '-', 's= (RFC 4566 5.3) reads');
});

t.test('tolerated: tab inside values, UTF-8 and NBSP in free text, 5000/2 ports', async (t) => {
  const view = readSdp(
    body(['v=0', 'o=- 1 1 IN IP4 x', 's=Caf\u00e9 \u20ac\u00a0Jean\u00a0Luc', 'i=\u00a0appel', 't=0\t0', 'm=application 5000/2 UDP/DTLS/SCTP webrtc-datachannel', 'a=dcmap:1000\tlabel="x"\t', 'a=label:\u00e9t\u00e9']),
  );
  t.match(view.dcMedia[0], { port: 5000 });
  t.equal(view.dcMedia[0]?.channels[0]?.label, 'x');
});

t.test('an m-line port the guard cannot read is policed as open, not hidden', async (t) => {
  for (const port of ['9x', '+9', '0x9', '9.0', '']) {
    const raw = body([...SESSION, `m=application ${port} UDP/DTLS/SCTP webrtc-datachannel`, 'a=dcmap:1000 label="x"', 'a=sctp-port:5000']);
    const view = readSdp(raw);
    const media = view.dcMedia[0];
    t.ok(media !== undefined && media.port !== 0, `port ${JSON.stringify(port)} counts as open`);
    t.equal(media?.channels.length, 1, 'its channels are seen');
    const out = applyDcEdits(view, { refuseMedia: [0], removeChannels: [] });
    t.match(out, /\r\nm=application +0 /, 'refusing writes port 0 in the port field');
    t.notOk(out.includes('a=dcmap'), 'and drops the channels');
    t.equal(applyDcEdits(readSdp(out), { refuseMedia: [0], removeChannels: [] }), out, 'idempotent');
  }
  const swapped = readSdp(body([...SESSION, 'm=application UDP/DTLS/SCTP 9 webrtc-datachannel', 'a=dcmap:1000 label="x"']));
  t.match(swapped.dcMedia[0], { port: -1, proto: 'UDP/DTLS/SCTP' }, 'proto where the port should be: a DC m-line, open');
});

t.test('an unreadable b=AS next to a readable one makes the bandwidth unlimited (null), not the readable value', async (t) => {
  for (const bad of ['b=AS:1e9', 'b=AS:500kbps', 'b=AS:', 'b=AS:99999999999999999999', 'b=AS:-1']) {
    const view = readSdp(body([...SESSION, DC, 'b=AS:100', bad, 'a=dcmap:1000 label="x"']));
    t.equal(view.dcMedia[0]?.bandwidthKbps, null, bad);
  }
  // A receiver may go by TIAS (RFC 3890) or a type the guard does not know instead of b=AS.
  t.equal(readSdp(body([...SESSION, DC, 'b=AS:100', 'b=TIAS:900000000'])).dcMedia[0]?.bandwidthKbps, null, 'TIAS beside b=AS: not known');
  t.equal(readSdp(body([...SESSION, DC, 'b=AS:100', 'b=X-FOO:1'])).dcMedia[0]?.bandwidthKbps, null, 'an unknown type: not known');
  t.equal(readSdp(body([...SESSION, DC, 'b=AS:100', 'b=RS:800', 'b=RR:2400'])).dcMedia[0]?.bandwidthKbps, 100, 'RTCP bandwidth (RFC 3556) does not count');
});

t.test('refusing is linear on a hostile body', async (t) => {
  const long = 'a=x' + '\t'.repeat(200_000) + '\u0000';
  const start = process.hrtime.bigint();
  refused(t, body([...SESSION, long]), 5, 'long line with a NUL at its end');
  refused(t, body([...SESSION, ...Array.from({ length: 50_000 }, (_, i) => `a=x${i}`), 'M=application 9 UDP/DTLS/SCTP x']), 50_005, 'many lines, the last one bad');
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(ms < 500, `took ${ms.toFixed(1)} ms`);
});
