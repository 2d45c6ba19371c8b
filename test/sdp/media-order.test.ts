import t from 'tap';
import type { Actor } from '../../src/policy/actor.ts';
import { VerdictEngine } from '../../src/policy/verdict-engine.ts';
import { agreedSession } from '../../src/sdp/dc-rewrite.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { answerRefusingDc } from '../../src/sdp/refusing-answer.ts';
import { labProfile } from '../helpers/profile-fixture.ts';

// Standalone DC sessions (TS 23.228 AG; TS 26.114 no longer puts speech first): no code path
// may take m-line 0 for audio, or assume there is audio at all. Every layout of an audio m-line
// and two DC m-lines, and DC-only ones, through offer policing, answer alignment, the answer
// written on a peer's behalf, and the agreed session.

const AUDIO = ['m=audio 49170 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000'];
const DC_MIXED = ['m=application 52718 UDP/DTLS/SCTP webrtc-datachannel', 'b=AS:100', 'a=sctp-port:5000', 'a=dcmap:1000 label="weather";subprotocol="x-app"', 'a=3gpp-req-app:com.example.weather', 'a=dcmap:1002 label="ads";subprotocol="x-app"', 'a=3gpp-req-app:com.example.ads'];
const DC_ADS = ['m=application 52720 UDP/DTLS/SCTP webrtc-datachannel', 'b=AS:100', 'a=sctp-port:5000', 'a=dcmap:1004 label="ads2";subprotocol="x-app"', 'a=3gpp-req-app:com.example.ads'];
type Section = 'audio' | 'mixed' | 'ads';
const SECTIONS: Record<Section, string[]> = { audio: AUDIO, mixed: DC_MIXED, ads: DC_ADS };

function sdp(layout: readonly Section[], origin = 'weather'): string {
  return ['v=0', `o=${origin} 1 1 IN IP4 192.0.2.3`, 's=-', 'c=IN IP4 192.0.2.3', 't=0 0', ...layout.flatMap((s) => SECTIONS[s])].join('\r\n') + '\r\n';
}

function permutations<T>(items: readonly T[]): T[][] {
  return items.length <= 1 ? [[...items]] : items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

const profile = labProfile();
const weatherAs = profile.peers.find((p) => p.id === 'weather-as');
if (weatherAs === undefined) {
  throw new Error('the lab profile has no weather-as');
}
const AS: Actor = { id: 'weather-as', trusted: false, grants: weatherAs.grants };
const engine = new VerdictEngine(profile);
const ORIGIN = { address: '192.0.2.1', addrType: 'IP4' } as const;

function policeOffer(raw: string) {
  return engine.decide({ kind: 'offer', method: 'INVITE', initial: true, initiator: AS, sdp: readSdp(raw), baseline: null, owners: [], mediaOwners: [], servedUsers: [] });
}

const layouts = [...permutations<Section>(['audio', 'mixed', 'ads']), ['mixed'], ['mixed', 'ads'], ['ads', 'mixed']] as Section[][];

for (const layout of layouts) {
  t.test(`m-lines ${layout.join(', ')}: each is policed where it is`, async (t) => {
    const verdict = policeOffer(sdp(layout));
    t.equal(verdict.action, 'forward');
    const out = readSdp(verdict.sdp ?? '');
    t.same(out.mediaTypes, layout.map((s) => (s === 'audio' ? 'audio' : 'application')), 'm-line count and order kept');
    for (const [index, section] of layout.entries()) {
      const media = out.dcMedia.find((m) => m.index === index);
      if (section === 'audio') {
        t.equal(media, undefined, `m-line ${index} is the audio, left alone`);
        t.match(verdict.sdp ?? '', /m=audio 49170 /, 'and its port kept');
      } else if (section === 'mixed') {
        t.same(media?.channels.map((c) => c.streamId), [1000], `m-line ${index}: the granted channel kept, the ungranted one stripped`);
        t.not(media?.port, 0);
      } else {
        t.equal(media?.port, 0, `m-line ${index}: the ungranted-only DC m-line refused in place`);
      }
    }
    t.same(
      verdict.reasons.map((r) => r.mediaIndex),
      layout.flatMap((s, i) => (s === 'audio' ? [] : [i])).sort(),
      'the reasons name the m-lines where they are',
    );

    // The callee answers every m-line open but the refused ones; alignment and the agreed session keep the indexes.
    const forwarded = readSdp(verdict.sdp ?? '');
    const answer = readSdp(sdp(layout, 'bob').replace(/m=application 52720 /, 'm=application 0 '));
    const agreed = readSdp(agreedSession(forwarded, answer));
    t.same(agreed.mediaTypes, out.mediaTypes);
    t.same(agreed.dcMedia.map((m) => [m.index, m.port === 0]), out.dcMedia.map((m) => [m.index, m.port === 0]), 'the agreed session keeps each DC m-line at its index');

    // An answer the guard must write on the answerer's behalf keeps the offer's layout.
    const written = readSdp(answerRefusingDc(forwarded, null, ORIGIN));
    t.same(written.mediaTypes, out.mediaTypes, 'an answer written on the peer\'s behalf has the offer\'s m-lines in order');
    const short = answerRefusingDc(forwarded, readSdp(sdp(['audio'], 'bob')), ORIGIN);
    t.same(readSdp(short).mediaTypes, out.mediaTypes, 'and so does one repairing an answer with too few m-lines');
    t.equal(readSdp(short).dcMedia.every((m) => m.port === 0), true);
  });
}

t.test('a DC-only offer whose every line is refused is answered 488; one with a granted channel is not', async (t) => {
  const refused = policeOffer(sdp(['ads']));
  t.equal(refused.action, 'reject');
  t.equal(refused.status, 488);
  t.match(refused.reasons, [{ code: 'dc.app-not-granted', mediaIndex: 0 }]);
  t.equal(policeOffer(sdp(['ads', 'mixed'])).action, 'forward', 'a granted channel on the second m-line keeps the offer');
});
