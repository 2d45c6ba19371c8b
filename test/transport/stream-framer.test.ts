/** StreamFramer as a pure unit: RFC 3261 18.3 framing, RFC 5626 keep-alives, limits, chunking independence. */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import t from 'tap';
import type { FramerEvent } from '../../src/transport/stream-framer.ts';
import { StreamFramer, readContentLength } from '../../src/transport/stream-framer.ts';

function msg(method: string, body = '', headerName = 'Content-Length'): string {
  return [
    `${method} sip:bob@example.com SIP/2.0`,
    'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1',
    `${headerName}: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** Events as text: message bodies decoded, pings and errors labelled. */
function show(events: readonly FramerEvent[]): string[] {
  return events.map((e) => (e.kind === 'message' ? e.data.toString('utf8') : e.kind === 'ping' ? 'PING' : `ERROR ${e.status} ${e.reason}`));
}

function feed(framer: StreamFramer, ...chunks: Array<string | Buffer>): string[] {
  const out: string[] = [];
  for (const c of chunks) {
    out.push(...show(framer.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));
  }
  return out;
}

const A = msg('OPTIONS');
const B = msg('MESSAGE', 'hello\r\n\r\nworld');
const C = msg('INFO', 'ünïcödé body', 'l');

t.test('whole messages, several in one chunk, body with empty lines', async (t) => {
  t.same(feed(new StreamFramer(), A), [A]);
  t.same(feed(new StreamFramer(), A + B + C), [A, B, C]);
});

t.test('a message split anywhere comes out once, whole', async (t) => {
  const all = A + B;
  const bytes = Buffer.from(all);
  for (let cut = 1; cut < bytes.length; cut++) {
    const framer = new StreamFramer();
    const out = feed(framer, bytes.subarray(0, cut), bytes.subarray(cut));
    if (out.join('|') !== [A, B].join('|')) {
      t.fail(`cut at ${cut}: ${JSON.stringify(out)}`);
      return;
    }
    t.equal(framer.buffered, 0);
  }
  const framer = new StreamFramer();
  const out: string[] = [];
  for (const b of bytes) {
    out.push(...feed(framer, Buffer.from([b])));
  }
  t.same(out, [A, B], 'byte by byte');
});

t.test('leading CRLFs are ignored; CRLFCRLF between messages is a ping (RFC 5626 3.5.1)', async (t) => {
  t.same(feed(new StreamFramer(), `\r\n${A}`), [A], 'one CRLF: ignored');
  t.same(feed(new StreamFramer(), `\r\n\r\n${A}\r\n\r\n\r\n\r\n${B}`), ['PING', A, 'PING', 'PING', B]);
  t.same(feed(new StreamFramer(), '\r', '\n\r', '\n'), ['PING'], 'ping split across chunks');
  t.same(feed(new StreamFramer(), '\n\n\n'), [], 'bare LFs are skipped, not pings');
});

t.test('missing Content-Length is a framing error with the header section (RFC 3261 18.3)', async (t) => {
  const framer = new StreamFramer();
  const noLength = 'OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n';
  const events = framer.push(Buffer.from(A + noLength + B));
  t.same(show(events), [A, 'ERROR 400 Missing Content-Length']);
  const err = events[1];
  t.equal(err?.kind === 'error' ? err.head?.toString() : null, noLength);
  t.ok(framer.failed);
  t.same(feed(framer, B), [], 'nothing after a framing error');
});

t.test('bad or conflicting Content-Length; compact and folded forms', async (t) => {
  t.same(feed(new StreamFramer(), 'INFO sip:x SIP/2.0\r\nContent-Length: 1x\r\n\r\n'), ['ERROR 400 Bad Content-Length']);
  t.same(feed(new StreamFramer(), 'INFO sip:x SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab'), ['ERROR 400 Conflicting Content-Length']);
  t.same(readContentLength(Buffer.from('INFO sip:x SIP/2.0\r\ncontent-LENGTH :\r\n  12\r\n\r\n')), { ok: true, length: 12 }, 'folded');
  t.same(readContentLength(Buffer.from('INFO sip:x SIP/2.0\nL: 3\n\n')), { ok: true, length: 3 }, 'bare LF lines');
  t.same(readContentLength(Buffer.from('INFO sip:x SIP/2.0\r\nX-Content-Length: 3\r\nCall-ID: l: 4\r\n\r\n')), { ok: false, reason: 'Missing Content-Length' });
  const bareLf = 'INFO sip:x SIP/2.0\nl: 2\n\nab';
  t.same(feed(new StreamFramer(), bareLf + bareLf), [bareLf, bareLf], 'bare-LF messages frame like the parser reads them');
});

t.test('limits: header section over 64 KiB, message over maxMessageBytes', async (t) => {
  const framer = new StreamFramer();
  const head = `INFO sip:x SIP/2.0\r\nX-Pad: ${'a'.repeat(70_000)}`;
  const events = framer.push(Buffer.from(head));
  t.same(show(events), ['ERROR 513 Header Section Too Large']);
  const e = events[0];
  t.equal(e?.kind === 'error' ? e.head?.length : 0, 65_536, 'the readable part is kept for a response');

  const small = new StreamFramer({ maxMessageBytes: 150 });
  t.same(feed(small, msg('INFO', 'x'.repeat(20))), [msg('INFO', 'x'.repeat(20))]);
  t.same(feed(small, msg('INFO', 'x'.repeat(200))), ['ERROR 513 Message Too Large'], 'refused before reading the body');

  const declared = new StreamFramer();
  t.same(feed(declared, 'INFO sip:x SIP/2.0\r\nContent-Length: 9999999999\r\n\r\n'), ['ERROR 513 Message Too Large']);
});

t.test('messages handed out stay intact when the framer reuses its buffer', async (t) => {
  const framer = new StreamFramer();
  const bytes = Buffer.from(A + B + C);
  const got: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 7) {
    for (const e of framer.push(bytes.subarray(i, i + 7))) {
      if (e.kind === 'message') {
        got.push(e.data);
      }
    }
  }
  t.same(
    got.map((b) => b.toString()),
    [A, B, C],
  );
});

t.test('fuzz: the same events come out whatever the chunk boundaries', async (t) => {
  const message = fc
    .record({
      method: fc.constantFrom('INVITE', 'BYE', 'MESSAGE', 'OPTIONS'),
      body: fc.string({ maxLength: 300, unit: 'binary' }),
      compact: fc.boolean(),
      leading: fc.constantFrom('', '\r\n', '\r\n\r\n'),
    })
    .map(({ method, body, compact, leading }) => ({ text: leading + msg(method, body, compact ? 'l' : 'Content-Length'), leading }));
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 40 }), (msgs, cuts) => {
      const stream = Buffer.from(msgs.map((m) => m.text).join(''));
      const expected: string[] = [];
      for (const m of msgs) {
        if (m.leading === '\r\n\r\n') {
          expected.push('PING');
        }
        expected.push(m.text.slice(m.leading.length));
      }
      const framer = new StreamFramer();
      const out: string[] = [];
      let pos = 0;
      let k = 0;
      while (pos < stream.length) {
        const size = cuts[k++ % cuts.length] ?? 1;
        out.push(...show(framer.push(stream.subarray(pos, pos + size))));
        pos += size;
      }
      // Compare as bytes: a chunk boundary inside a UTF-8 sequence must not matter.
      return JSON.stringify(out) === JSON.stringify(expected) && framer.buffered === 0;
    }),
    { numRuns: 300 },
  );
  t.pass('300 random chunkings');
});
