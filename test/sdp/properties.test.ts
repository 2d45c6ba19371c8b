import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'sdp-transform';
import t from 'tap';
import { alignAnswer, applyDcEdits, originVersion } from '../../src/sdp/dc-rewrite.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { SdpParseError } from '../../src/sdp/sdp-parse-error.ts';
import type { DcEdits, SdpView } from '../../src/sdp/sdp-types.ts';
import { editsArb, kindsArb, offerAnswerArb, sdpArb } from './fixtures/arbitraries.ts';

const RUNS = { numRuns: 200 };

/** What sdp-transform sees of each m-line: an independent reading of the structure. */
function mLines(raw: string): { type: string; port: number; protocol: string; payloads: string }[] {
  return parse(raw).media.map((m) => ({ type: m.type, port: m.port, protocol: m.protocol, payloads: String(m.payloads ?? '').trim() }));
}

/** m-lines the edits may refuse: the named ones, and DC m-lines a channel removal may empty. */
function mayRefuse(view: SdpView, edits: DcEdits): Set<number> {
  const indexes = new Set(edits.refuseMedia.filter((i) => i >= 0 && i < view.mediaCount));
  for (const ref of edits.removeChannels) {
    indexes.add(ref.mediaIndex);
  }
  return indexes;
}

t.test('readSdp agrees with sdp-transform on the structure of generated SDPs', async (t) => {
  fc.assert(
    fc.property(sdpArb(), (generated) => {
      const view = readSdp(generated.raw);
      const theirs = parse(generated.raw).media;
      assert.deepEqual(view.mediaTypes, theirs.map((m) => m.type));
      assert.deepEqual(
        view.dcMedia.map((m) => m.index),
        generated.media.flatMap((m, i) => (m.kind === 'dc' ? [i] : [])),
      );
      for (const media of view.dcMedia) {
        const other = theirs[media.index];
        const as = other?.bandwidth?.find((b) => b.type === 'AS');
        assert.equal(media.port, other?.port);
        assert.equal(media.proto, other?.protocol);
        assert.equal(media.bandwidthKbps, as === undefined ? null : Number(as.limit));
      }
    }),
    RUNS,
  );
  t.pass('property holds');
});

t.test('readSdp classifies and associates channels as generated (attributes in written order)', async (t) => {
  fc.assert(
    fc.property(sdpArb(false), (generated) => {
      const view = readSdp(generated.raw);
      for (const media of view.dcMedia) {
        const model = generated.media[media.index]?.channels ?? [];
        const expected = model.map((c) => ({
          streamId: c.id,
          kind: (c.subprotocol.toLowerCase() === 'http' || c.subprotocol.toLowerCase() === '"http"') && [0, 10, 100, 110].includes(c.id) ? 'bootstrap' : 'application',
          app: c.app === 'media' || c.app === 'dcsa' ? c.appName : null,
        }));
        for (const lead of model.filter((c) => c.app === 'leading')) {
          const target = expected.find((e) => e.kind === 'application' && e.app === null);
          if (target !== undefined) {
            target.app = lead.appName;
          }
        }
        assert.deepEqual(
          media.channels.map((c) => ({ streamId: c.streamId, kind: c.kind, appId: c.appId })),
          expected.map((e) => ({ streamId: e.streamId, kind: e.kind, appId: e.kind === 'bootstrap' ? null : e.app })),
        );
      }
    }),
    RUNS,
  );
  t.pass('property holds');
});

t.test('(b) empty edits leave the SDP byte-identical', async (t) => {
  fc.assert(
    fc.property(sdpArb(), (generated) => {
      const view = readSdp(generated.raw);
      return applyDcEdits(view, { refuseMedia: [], removeChannels: [] }) === generated.raw;
    }),
    RUNS,
  );
  t.pass('property holds');
});

t.test('(a)+(c) applyDcEdits keeps m-line count, order, types and ports (but refused ones), and is idempotent', async (t) => {
  fc.assert(
    fc.property(
      sdpArb().chain((generated) => {
        const view = readSdp(generated.raw);
        return fc.tuple(fc.constant(view), editsArb(view));
      }),
      ([view, edits]) => {
        const out = applyDcEdits(view, edits);
        const before = mLines(view.raw);
        const after = mLines(out);
        const refusable = mayRefuse(view, edits);
        assert.equal(after.length, before.length);
        before.forEach((m, i) => {
          const a = after[i];
          assert.deepEqual([a?.type, a?.protocol, a?.payloads], [m.type, m.protocol, m.payloads]);
          if (edits.refuseMedia.includes(i)) {
            assert.equal(a?.port, 0, `m-line ${i} refused`);
          } else if (!refusable.has(i)) {
            assert.equal(a?.port, m.port, `m-line ${i} port kept`);
          } else {
            assert.ok(a?.port === m.port || a?.port === 0);
          }
        });
        const outView = readSdp(out);
        assert.deepEqual(outView.mediaTypes, view.mediaTypes);
        assert.equal(applyDcEdits(outView, edits), out, 'idempotent');
        const version = view.origin?.sessionVersion;
        if (out !== view.raw && version !== undefined) {
          assert.equal(originVersion(out), (BigInt(version) + 1n).toString(), 'version bumped by one');
        } else {
          assert.equal(originVersion(out), version ?? null);
        }
        for (const ref of edits.removeChannels) {
          const media = outView.dcMedia.find((m) => m.index === ref.mediaIndex);
          assert.ok(!media?.channels.some((c) => c.streamId === ref.streamId), 'removed channel gone');
        }
        for (const index of edits.refuseMedia) {
          const media = outView.dcMedia.find((m) => m.index === index);
          assert.deepEqual(media?.channels ?? [], [], 'refused m-line has no channels');
        }
      },
    ),
    RUNS,
  );
  t.pass('property holds');
});

t.test('(a)+(c)+(d) alignAnswer keeps the structure, strips what the offer lacks, and is idempotent', async (t) => {
  fc.assert(
    fc.property(offerAnswerArb, ({ offer, answer }) => {
      const offerView = readSdp(offer.raw);
      const answerView = readSdp(answer.raw);
      const aligned = alignAnswer(offerView, answerView);
      assert.equal(aligned.problem, null);
      const offerLines = mLines(offer.raw);
      const before = mLines(answer.raw);
      const after = mLines(aligned.raw);
      assert.equal(after.length, before.length);
      before.forEach((m, i) => {
        const a = after[i];
        assert.deepEqual([a?.type, a?.protocol, a?.payloads], [m.type, m.protocol, m.payloads]);
        if (offerLines[i]?.port === 0) {
          assert.equal(a?.port, 0, `offer port 0 at ${i}: answer port 0`);
        } else if (!aligned.refusedMedia.includes(i)) {
          assert.equal(a?.port, m.port);
        }
      });
      for (const index of aligned.refusedMedia) {
        assert.notEqual(before[index]?.port, 0, 'refusedMedia lists only m-lines this closed');
        assert.equal(after[index]?.port, 0);
      }
      const out = readSdp(aligned.raw);
      for (const media of out.dcMedia) {
        const offered = offerView.dcMedia.find((m) => m.index === media.index);
        for (const channel of media.channels) {
          assert.ok(offered?.channels.some((c) => c.streamId === channel.streamId), `answer channel ${media.index}/${channel.streamId} was offered`);
        }
      }
      const again = alignAnswer(offerView, out);
      assert.equal(again.raw, aligned.raw, 'idempotent');
      assert.deepEqual(again.refusedMedia, []);
      assert.deepEqual(again.removedChannels, []);
      if (aligned.refusedMedia.length === 0 && aligned.removedChannels.length === 0) {
        assert.equal(aligned.raw.length <= answer.raw.length, true);
      }
    }),
    RUNS,
  );
  t.pass('property holds');
});

t.test('strict alignAnswer (an untrusted answerer) keeps the m-lines in count, type and order, and what it leaves passes it again unchanged', async (t) => {
  fc.assert(
    fc.property(offerAnswerArb, ({ offer, answer }) => {
      const offerView = readSdp(offer.raw);
      const aligned = alignAnswer(offerView, readSdp(answer.raw), { strict: true });
      const out = readSdp(aligned.raw);
      assert.deepEqual(out.mediaTypes, readSdp(answer.raw).mediaTypes, 'm-line count, types and order kept');
      const again = alignAnswer(offerView, out, { strict: true });
      assert.equal(again.raw, aligned.raw, 'idempotent');
      assert.deepEqual([again.changedChannels, again.removedChannels, again.integrity], [[], [], []], 'nothing left to correct');
    }),
    RUNS,
  );
  t.pass('property holds');
});

t.test('alignAnswer with a different m-line count changes nothing', async (t) => {
  fc.assert(
    fc.property(sdpArb(), sdpArb(), (offer, answer) => {
      const offerView = readSdp(offer.raw);
      const answerView = readSdp(answer.raw);
      fc.pre(offerView.mediaCount !== answerView.mediaCount);
      const aligned = alignAnswer(offerView, answerView);
      assert.equal(aligned.raw, answer.raw);
      assert.equal(typeof aligned.problem, 'string');
    }),
    { numRuns: 50 },
  );
  t.pass('property holds');
});

const SDP_FRAGMENTS = [
  'v=0',
  'o=- 1 1 IN IP4 x',
  'o=',
  'o=a b c',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'm=application 0 DTLS/SCTP webrtc-datachannel',
  'm=audio 4000 RTP/AVP 0',
  'm=',
  'm=application',
  'm=application x UDP/DTLS/SCTP webrtc-datachannel',
  'a=dcmap:0 subprotocol="http"',
  'a=dcmap:1000 label="a;b',
  'a=dcmap:',
  'a=dcmap:99999999999999999999 x',
  'a=dcsa:1000 3gpp-req-app:',
  'a=dcsa:',
  'a=3gpp-req-app:com.example.x',
  'a=3gpp-req-app',
  'a=sctp-port:5000',
  'b=AS:',
  'b=AS:99999999999999999999',
  'a=',
  '',
  ' ',
  '=',
];

const junkSdpArb = fc
  .tuple(fc.array(fc.oneof(fc.constantFrom(...SDP_FRAGMENTS), fc.string({ maxLength: 12 })), { maxLength: 14 }), fc.array(fc.constantFrom('\r\n', '\n', '\r', ''), { minLength: 1, maxLength: 4 }))
  .map(([lines, eols]) => 'v=0' + lines.map((l, i) => (eols[i % eols.length] ?? '\n') + l).join(''));

t.test('(e) readSdp throws nothing but SdpParseError on arbitrary strings', async (t) => {
  const onlyParseErrors = (text: string): boolean => {
    try {
      readSdp(text);
      return true;
    } catch (error) {
      return error instanceof SdpParseError;
    }
  };
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), onlyParseErrors), { numRuns: 300 });
  fc.assert(fc.property(fc.string({ maxLength: 200 }).map((s) => 'v=' + s), onlyParseErrors), { numRuns: 200 });
  fc.assert(fc.property(junkSdpArb, onlyParseErrors), { numRuns: 300 });
  t.pass('property holds');
});

/** Fragments that are SDP lines whatever m-line they land in (the others are refused inside a DC m-line). */
const READABLE_FRAGMENTS = SDP_FRAGMENTS.filter((l) => /^[a-z]=/.test(l) && !['a=dcmap:', 'a=dcsa:', 'a=dcmap:99999999999999999999 x', 'a=dcmap:1000 label="a;b'].includes(l));

function readable(text: string): boolean {
  try {
    readSdp(text);
    return true;
  } catch {
    return false;
  }
}

/** Odd but readable SDPs: the strict reader refuses lines that are not `<type>=<value>` (see read-sdp.test.ts), so junk is built from SDP lines. */
const readableJunkSdpArb = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.constantFrom(...READABLE_FRAGMENTS),
        fc.string({ maxLength: 12 }).map((s) => 'a=' + s),
        fc.string({ maxLength: 12 }).map((s) => 'a=dcmap:1000 ' + s),
        fc.string({ maxLength: 12 }).map((s) => 'm=application ' + s),
      ),
      { maxLength: 14 },
    ),
    fc.array(fc.constantFrom('\r\n', '\n', '\r', ''), { minLength: 1, maxLength: 4 }),
  )
  .map(([lines, eols]) => 'v=0' + lines.map((l, i) => (eols[i % eols.length] ?? '\n') + l).join(''))
  .filter(readable);

t.test('junk that reads as SDP: rewriting never throws and stays idempotent', async (t) => {
  fc.assert(
    fc.property(readableJunkSdpArb, readableJunkSdpArb, (a, b) => {
      const view = readSdp(a);
      const edits: DcEdits = {
        refuseMedia: view.dcMedia.filter((_, i) => i % 2 === 0).map((m) => m.index),
        removeChannels: view.dcMedia.flatMap((m) => m.channels.map((c) => ({ mediaIndex: m.index, streamId: c.streamId }))).filter((_, i) => i % 2 === 1),
      };
      const out = applyDcEdits(view, edits);
      assert.equal(applyDcEdits(readSdp(out), edits), out);
      assert.equal(readSdp(out).mediaCount, view.mediaCount);
      const aligned = alignAnswer(readSdp(b), view);
      assert.equal(alignAnswer(readSdp(b), readSdp(aligned.raw)).raw, aligned.raw);
    }),
    { numRuns: 300 },
  );
  t.pass('property holds');
});

t.test('kinds generator sanity: DC, audio and video all occur', async (t) => {
  const kinds = fc.sample(kindsArb, 200).flat();
  t.ok(kinds.includes('dc') && kinds.includes('audio') && kinds.includes('video'));
});
