import t from 'tap';
import { diffDcOffers } from '../../src/sdp/dc-diff.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import type { DcDiff } from '../../src/sdp/sdp-types.ts';
import { AUDIO_ONLY, IMS_OFFER } from './fixtures/sdps.ts';

const HEAD = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n';
const AUDIO = 'm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n';

function dc(port: number, lines: string[], bw: number | null = null): string {
  return [`m=application ${port} UDP/DTLS/SCTP webrtc-datachannel`, ...(bw === null ? [] : [`b=AS:${bw}`]), 'a=sctp-port:5000', ...lines].join('\r\n') + '\r\n';
}

/** Compact form of a diff: refs as `<mediaIndex>/<streamId>`. */
function brief(diff: DcDiff): Record<string, unknown> {
  return {
    added: diff.added.map((r) => `${r.mediaIndex}/${r.streamId}`),
    removed: diff.removed.map((r) => `${r.mediaIndex}/${r.streamId}`),
    changed: diff.changed.map((r) => `${r.mediaIndex}/${r.streamId}`),
    openedMedia: diff.openedMedia,
    bandwidthRaised: diff.bandwidthRaised.map((b) => `${b.mediaIndex}:${b.before ?? 'null'}->${b.after ?? 'null'}`),
  };
}

const NOTHING = { added: [], removed: [], changed: [], openedMedia: [], bandwidthRaised: [] };

t.test('before=null: everything open in after is added', async (t) => {
  const after = readSdp(IMS_OFFER);
  const diff = diffDcOffers(null, after);
  t.same(brief(diff), { ...NOTHING, added: ['1/0', '1/100', '1/1000', '1/1001'], openedMedia: [1] });
  t.equal(diff.added[2]?.channel.appId, 'com.example.weather');
});

t.test('before=null: port-0 DC m-lines add nothing', async (t) => {
  const after = readSdp(HEAD + AUDIO + dc(0, ['a=dcmap:1000 label="x"']));
  t.same(brief(diffDcOffers(null, after)), NOTHING);
});

t.test('the same SDP twice: no difference', async (t) => {
  t.same(brief(diffDcOffers(readSdp(IMS_OFFER), readSdp(IMS_OFFER))), NOTHING);
  t.same(brief(diffDcOffers(readSdp(AUDIO_ONLY), readSdp(AUDIO_ONLY))), NOTHING);
});

t.test('a channel added to an open m-line', async (t) => {
  const before = readSdp(HEAD + AUDIO + dc(9, ['a=dcmap:0 subprotocol="http"']));
  const after = readSdp(HEAD + AUDIO + dc(9, ['a=dcmap:0 subprotocol="http"', 'a=dcmap:1000 label="x"', 'a=3gpp-req-app:com.example.x']));
  const diff = diffDcOffers(before, after);
  t.same(brief(diff), { ...NOTHING, added: ['1/1000'] });
  t.match(diff.added[0], { mediaIndex: 1, streamId: 1000, channel: { appId: 'com.example.x' } });
});

t.test('a DC m-line appended (RFC 3264: new m-lines go at the end)', async (t) => {
  const before = readSdp(HEAD + AUDIO);
  const after = readSdp(HEAD + AUDIO + dc(9, ['a=dcmap:1000 label="x"']));
  t.same(brief(diffDcOffers(before, after)), { ...NOTHING, added: ['1/1000'], openedMedia: [1] });
});

t.test('a port-0 DC m-line reopened counts as opened', async (t) => {
  const before = readSdp(HEAD + dc(0, ['a=dcmap:1000 label="x"']));
  const after = readSdp(HEAD + dc(9, ['a=dcmap:1000 label="x"']));
  t.same(brief(diffDcOffers(before, after)), { ...NOTHING, added: ['0/1000'], openedMedia: [0] });
});

t.test('an open DC m-line without channels is still opened media', async (t) => {
  const later = readSdp(HEAD + AUDIO + dc(9, []));
  t.same(brief(diffDcOffers(readSdp(HEAD + AUDIO), later)), { ...NOTHING, openedMedia: [1] });
});

t.test('removed: m-line to port 0, dcmap gone, m-line gone', async (t) => {
  const before = readSdp(HEAD + AUDIO + dc(9, ['a=dcmap:0 subprotocol="http"', 'a=dcmap:1000 label="x"']) + dc(9, ['a=dcmap:1001 label="y"']) + dc(9, ['a=dcmap:1002 label="z"']));
  const after = readSdp(HEAD + AUDIO + dc(9, ['a=dcmap:0 subprotocol="http"']) + dc(0, ['a=dcmap:1001 label="y"']));
  const diff = diffDcOffers(before, after);
  t.same(brief(diff), { ...NOTHING, removed: ['1/1000', '2/1001', '3/1002'] });
  t.equal(diff.removed[0]?.channel.label, 'x');
});

t.test('changed: dcmap params, dcsa, kind, app id', async (t) => {
  const before = readSdp(
    HEAD +
      dc(9, [
        'a=dcmap:0 subprotocol="http"',
        'a=dcmap:1000 label="a"',
        'a=dcmap:1001 label="b"',
        'a=dcsa:1001 max-retr:3',
        'a=dcmap:1002 label="c"',
        'a=3gpp-req-app:com.example.c',
        'a=dcmap:1003 label="d"',
      ]),
  );
  const after = readSdp(
    HEAD +
      dc(9, [
        'a=dcmap:0 subprotocol="x-other"',
        'a=dcmap:1000 label="a";ordered=false',
        'a=dcmap:1001 label="b"',
        'a=dcsa:1001 max-retr:5',
        'a=dcmap:1002 label="c"',
        'a=3gpp-req-app:com.example.evil',
        'a=dcmap:1003 label="d"',
      ]),
  );
  const diff = diffDcOffers(before, after);
  t.same(brief(diff), { ...NOTHING, changed: ['0/0', '0/1000', '0/1001', '0/1002'] });
  t.match(diff.changed[0], { before: { kind: 'bootstrap' }, after: { kind: 'application' } });
  t.match(diff.changed[3], { before: { appId: 'com.example.c' }, after: { appId: 'com.example.evil' } });
});

t.test('changed is not reported for a moved attribute line or different line endings', async (t) => {
  const before = readSdp(HEAD + dc(9, ['a=dcmap:1000 label="a"', 'a=3gpp-req-app:com.example.a']));
  const after = readSdp((HEAD + dc(9, ['a=dcsa:1000 3gpp-req-app:com.example.a', 'a=dcmap:1000 label="a"'])).replace(/\r\n/g, '\n'));
  const diff = diffDcOffers(before, after);
  t.same(brief(diff), { ...NOTHING, changed: ['0/1000'] }, 'the dcsa list differs, so it is changed');
  const same = readSdp((HEAD + dc(9, ['a=tls-id:x', 'a=dcmap:1000 label="a"', 'a=3gpp-req-app:com.example.a'])).replace(/\r\n/g, '\n'));
  t.same(brief(diffDcOffers(before, same)), NOTHING);
});

t.test('bandwidth: raised, lowered, from unlimited, to unlimited', async (t) => {
  const before = readSdp(HEAD + dc(9, [], 100) + dc(9, [], 100) + dc(9, [], null) + dc(9, [], 100) + dc(0, [], 10));
  const after = readSdp(HEAD + dc(9, [], 200) + dc(9, [], 50) + dc(9, [], 500) + dc(9, [], null) + dc(9, [], 20));
  t.same(brief(diffDcOffers(before, after)), { ...NOTHING, openedMedia: [4], bandwidthRaised: ['0:100->200', '3:100->null'] });
});

t.test('an m-line that was audio and is now DC is opened media', async (t) => {
  const before = readSdp(HEAD + AUDIO + AUDIO);
  const after = readSdp(HEAD + AUDIO + dc(9, ['a=dcmap:1000 label="x"']));
  t.same(brief(diffDcOffers(before, after)), { ...NOTHING, added: ['1/1000'], openedMedia: [1] });
});
