import t from 'tap';
import { alignAnswer } from '../../src/sdp/dc-rewrite.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';

// TS 26.114 6.2.10.3 / RFC 8864 6: what an (untrusted) answer may and may not change of the
// channels of the offer the guard forwarded.

const AUDIO = ['m=audio 49170 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000'];
const TRANSPORT = ['a=sctp-port:5000', 'a=setup:actpass', 'a=tls-id:abc3de65cddef001be82'];
const ANSWER_TRANSPORT = ['a=sctp-port:5000', 'a=setup:active', 'a=tls-id:ffc3de65cddef001be82'];
const OFFER_CHANNELS = [
  'a=dcmap:0 subprotocol="http"',
  'a=dcmap:1000 label="weather";subprotocol="x-app";max-retr=3;ordered=false',
  'a=3gpp-req-app:com.example.weather',
  'a=dcmap:1001 label="chat";subprotocol="x-chat"',
  'a=dcsa:1001 3gpp-req-app:com.example.chat endpoint=ue',
  'a=dcsa:1001 accept-types:text/plain',
];

function sdp(origin: string, dcPort: number, transport: string[], channels: string[], audioFirst = true): string {
  const dc = [`m=application ${dcPort} UDP/DTLS/SCTP webrtc-datachannel`, ...transport, ...channels];
  return ['v=0', `o=${origin} 1 1 IN IP4 192.0.2.1`, 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', ...(audioFirst ? [...AUDIO, ...dc] : [...dc, ...AUDIO])].join('\r\n') + '\r\n';
}

const OFFER = readSdp(sdp('alice', 52718, TRANSPORT, OFFER_CHANNELS));
/** The answer with `edit` applied to its channel lines. */
function answer(edit: (lines: string[]) => string[], audioFirst = true): ReturnType<typeof readSdp> {
  return readSdp(sdp('as', 7000, ANSWER_TRANSPORT, edit([...OFFER_CHANNELS]), audioFirst));
}
const swap = (lines: string[], from: string, to: string): string[] => lines.map((l) => l.replace(from, to));

t.test('an answer that echoes every channel, with its own transport, passes byte for byte', async (t) => {
  const echo = answer((l) => l);
  const aligned = alignAnswer(OFFER, echo, { strict: true });
  t.equal(aligned.raw, echo.raw);
  t.same(aligned.changedChannels, []);
  t.same(aligned.integrity, []);
});

t.test('what an answer may change: DC status, parameter order and quoting, dcsa of the subprotocol, leaving a=3gpp-req-app out', async (t) => {
  const cases: [string, (l: string[]) => string[]][] = [
    ['a status token added to a=3gpp-req-app', (l) => swap(l, 'endpoint=ue', 'endpoint=ue status=active')],
    ['dcmap parameters in another order, unquoted where quoting is optional', (l) => swap(l, 'max-retr=3;ordered=false', 'ordered=false; max-retr="3"')],
    ["the subprotocol's own dcsa answered", (l) => swap(l, 'accept-types:text/plain', 'accept-types:text/plain text/html')],
    ['a=3gpp-req-app left out', (l) => l.filter((x) => !x.startsWith('a=3gpp-req-app'))],
  ];
  for (const [name, edit] of cases) {
    const view = answer(edit);
    const aligned = alignAnswer(OFFER, view, { strict: true });
    t.same(aligned.changedChannels, [], name);
    t.equal(aligned.raw, view.raw, `${name}: the answer passes as it came`);
  }
});

t.test('what an untrusted answer may not change: each changed channel is removed, the rest stays', async (t) => {
  const cases: [string, (l: string[]) => string[], number[], RegExp][] = [
    ['the app of a channel', (l) => swap(l, 'a=3gpp-req-app:com.example.weather', 'a=3gpp-req-app:com.example.ads'), [1000], /application com\.example\.ads/],
    ['a P2P channel turned toward an AS', (l) => swap(l, 'endpoint=ue', 'endpoint=as'), [1001], /3gpp-req-app changed/],
    ['the label', (l) => swap(l, 'label="weather"', 'label="tracker"'), [1000], /label/],
    ['the subprotocol', (l) => swap(l, 'subprotocol="x-chat"', 'subprotocol="x-exfil"'), [1001], /subprotocol/],
    ['max-retr', (l) => swap(l, 'max-retr=3', 'max-retr=0'), [1000], /max-retr/],
    ['ordered left out', (l) => swap(l, ';ordered=false', ''), [1000], /ordered/],
    ['a priority added', (l) => swap(l, 'label="chat"', 'label="chat";priority=1024'), [1001], /priority/],
    ['a second, other app named for the channel', (l) => [...l, 'a=dcsa:1000 3gpp-req-app:com.evil.x'], [1000], /3gpp-req-app/],
    ['another 3gpp dcsa attribute added', (l) => [...l, 'a=dcsa:1001 3gpp-bdc-used-by:sender'], [1001], /3gpp-bdc-used-by/],
  ];
  for (const [name, edit, streams, detail] of cases) {
    const aligned = alignAnswer(OFFER, answer(edit), { strict: true });
    t.same(
      aligned.changedChannels.map((c) => c.streamId),
      streams,
      name,
    );
    t.match(aligned.changedChannels[0]?.detail ?? '', detail, `${name}: says what changed`);
    const out = readSdp(aligned.raw);
    t.same(out.mediaTypes, ['audio', 'application'], `${name}: m-line count and order kept`);
    t.same(
      out.dcMedia[0]?.channels.map((c) => c.streamId),
      [0, 1000, 1001].filter((s) => !streams.includes(s)),
      `${name}: the other channels stay`,
    );
  }
});

t.test('a stream id swapped between two channels removes both; the bootstrap keeps the m-line open', async (t) => {
  const swapped = answer((l) =>
    l.map((x) =>
      x.startsWith('a=dcmap:1000') ? x.replace('1000', '1001') : x.startsWith('a=dcmap:1001') ? x.replace('1001', '1000') : x.startsWith('a=dcsa:1001') ? x.replace('1001', '1000') : x,
    ),
  );
  const aligned = alignAnswer(OFFER, swapped, { strict: true });
  t.same(aligned.changedChannels.map((c) => c.streamId).sort(), [1000, 1001]);
  const out = readSdp(aligned.raw);
  t.same(out.dcMedia[0]?.channels.map((c) => c.streamId), [0]);
  t.not(out.dcMedia[0]?.port, 0);
  t.notMatch(aligned.raw, /weather|chat/, 'no line of either channel is left');
});

t.test('a trusted answerer is held to the app and the channel kind only', async (t) => {
  const relabelled = answer((l) => swap(l, 'label="weather"', 'label="w2"'));
  t.equal(alignAnswer(OFFER, relabelled, { strict: false }).raw, relabelled.raw, 'a relabel passes');
  const moved = alignAnswer(OFFER, answer((l) => swap(l, 'com.example.weather', 'com.example.ads')), { strict: false });
  t.same(moved.changedChannels.map((c) => c.streamId), [1000], 'another app does not');
});

t.test('every channel changed: the m-line is refused (port 0), m-line count and order kept', async (t) => {
  const offer = readSdp(sdp('alice', 52718, TRANSPORT, ['a=dcmap:1000 label="weather"', 'a=3gpp-req-app:com.example.weather'], false));
  const view = readSdp(sdp('as', 7000, ANSWER_TRANSPORT, ['a=dcmap:1000 label="weather"', 'a=3gpp-req-app:com.example.ads'], false));
  const aligned = alignAnswer(offer, view, { strict: true });
  const out = readSdp(aligned.raw);
  t.same(out.mediaTypes, ['application', 'audio'], 'the DC m-line stays first');
  t.equal(out.dcMedia[0]?.port, 0);
  t.same(aligned.refusedMedia, [0]);
});

t.test('m-lines an untrusted answer may not open: DC for a non-DC m-line, DC open with none of the offered channels', async (t) => {
  const offer = readSdp(sdp('alice', 52718, TRANSPORT, ['a=dcmap:1000 label="weather"', 'a=3gpp-req-app:com.example.weather']));
  // The audio m-line answered as an SCTP association: RFC 3264 6 (same media), and a DCEP door.
  const asDc = readSdp(
    ['v=0', 'o=as 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=application 7002 UDP/DTLS/SCTP webrtc-datachannel', 'a=sctp-port:5000', 'm=application 7000 UDP/DTLS/SCTP webrtc-datachannel', 'a=sctp-port:5000', 'a=dcmap:1000 label="weather"', ''].join('\r\n'),
  );
  const first = alignAnswer(offer, asDc, { strict: true });
  t.same(first.integrity.map((e) => [e.mediaIndex, e.kind]), [[0, 'not-offered']]);
  t.same(readSdp(first.raw).dcMedia.map((m) => m.port), [0, 7000]);
  t.equal(alignAnswer(offer, asDc, { strict: false }).raw, asDc.raw, 'a trusted answerer is not held to it');

  const empty = readSdp(sdp('as', 7000, ANSWER_TRANSPORT, []));
  const second = alignAnswer(offer, empty, { strict: true });
  t.match(second.integrity, [{ mediaIndex: 1, kind: 'not-offered', detail: /none of the offered channels/ }]);
  t.equal(readSdp(second.raw).dcMedia[0]?.port, 0);
});

t.test('a dcsa or 3gpp-req-app line of no channel is dropped: another reader may give it to a channel', async (t) => {
  const view = answer((l) => ['a=3gpp-req-app:com.evil.x', ...l, 'a=dcsa:4242 3gpp-req-app:com.evil.y']);
  const aligned = alignAnswer(OFFER, view, { strict: true });
  t.notMatch(aligned.raw, /com\.evil/);
  t.match(aligned.integrity, [{ mediaIndex: 1, kind: 'changed', detail: /2 dcsa\/3gpp-req-app line/ }]);
  t.same(readSdp(aligned.raw).dcMedia[0]?.channels.map((c) => c.streamId), [0, 1000, 1001], 'every channel stays');
});

t.test('aligning the corrected answer again changes nothing', async (t) => {
  const edits = [(l: string[]) => swap(l, 'endpoint=ue', 'endpoint=as'), (l: string[]) => ['a=3gpp-req-app:com.evil.x', ...l]];
  for (const edit of edits) {
    const once = alignAnswer(OFFER, answer(edit), { strict: true }).raw;
    t.equal(alignAnswer(OFFER, readSdp(once), { strict: true }).raw, once);
  }
});
