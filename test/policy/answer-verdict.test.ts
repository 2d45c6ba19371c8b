import t from 'tap';
import type { Actor } from '../../src/policy/actor.ts';
import { NO_GRANTS } from '../../src/policy/actor.ts';
import { VerdictEngine } from '../../src/policy/verdict-engine.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { BOOTSTRAP, offer, WEATHER } from '../helpers/sdp-builder.ts';

// The answer verdict (policy/answer-verdict.ts): what an untrusted answerer changed of an offered
// channel is refused with dc.answer-app-changed, judged against the offer the guard forwarded.
const ORIGIN = { address: '192.0.2.1', addrType: 'IP4' } as const;

function actor(profile: Profile, id: string): Actor {
  const peer = profile.peers.find((p) => p.id === id);
  return peer === undefined ? { id, trusted: false, grants: NO_GRANTS } : { id, trusted: peer.trusted, grants: peer.grants };
}

function decide(profile: Profile, answerer: string, forwarded: string, answer: string, relayed: string | null = null) {
  const view = readSdp(answer);
  return new VerdictEngine(profile).decide({
    kind: 'answer',
    forwardedOffer: readSdp(forwarded),
    answer: view,
    answerRaw: view.raw,
    answerer: actor(profile, answerer),
    origin: ORIGIN,
    relayed: relayed === null ? null : readSdp(relayed),
  });
}

function withGuard(guard: Partial<Profile['guard']>): Profile {
  const profile = labProfile();
  return { ...profile, guard: { ...profile.guard, ...guard } };
}

const FORWARDED = offer({ channels: [BOOTSTRAP, WEATHER] });
const RELABELLED = offer({ channels: [BOOTSTRAP, { ...WEATHER, label: 'tracker' }], username: 'as' });

t.test('an untrusted answerer that relabels a channel loses it, with the reason code and what changed', async (t) => {
  const v = decide(labProfile(), 'weather-as', FORWARDED, RELABELLED);
  t.equal(v.action, 'forward', 'the call goes on');
  t.match(v.reasons, [{ code: 'dc.answer-app-changed', peer: 'weather-as', mediaIndex: 1, streamId: 1000, detail: /label/ }]);
  t.same(readSdp(v.sdp ?? '').dcMedia[0]?.channels.map((c) => c.streamId), [0]);
});

t.test('the reference is the offer the guard forwarded, not what the peer was sent on the other hop', async (t) => {
  // The AS was handed the relabelled channel on the other hop; the offer on this leg had the original.
  const v = decide(labProfile(), 'weather-as', FORWARDED, RELABELLED, offer({ channels: [BOOTSTRAP, { ...WEATHER, label: 'tracker' }] }));
  t.match(v.reasons, [{ code: 'dc.answer-app-changed', streamId: 1000 }]);
});

t.test('a trusted answerer may relabel; neither may move the channel to another app', async (t) => {
  const profile = labProfile();
  const relabelled = decide(profile, 'core', FORWARDED, RELABELLED);
  t.same(relabelled.reasons, []);
  t.equal(relabelled.sdp, readSdp(RELABELLED).raw);
  const moved = decide(profile, 'core', FORWARDED, offer({ channels: [BOOTSTRAP, { ...WEATHER, app: 'com.example.ads' }], username: 'bob' }));
  t.match(moved.reasons, [{ code: 'dc.answer-app-changed', streamId: 1000, detail: /com\.example\.ads/ }]);
});

t.test('guard.fail: open does not let a redirect through (it is no doubt about the answer)', async (t) => {
  const v = decide(withGuard({ fail: 'open' }), 'weather-as', FORWARDED, RELABELLED);
  t.match(v.reasons, [{ code: 'dc.answer-app-changed' }]);
});

t.test('monitor mode: the answer goes on as it came, the log says what enforce would have done', async (t) => {
  const v = decide(withGuard({ mode: 'monitor' }), 'weather-as', FORWARDED, RELABELLED);
  t.equal(v.applied.sdp, null, 'nothing applied');
  t.match(v.wouldHave, { sdpChanged: true });
});
