import t from 'tap';
import type { Actor } from '../../src/policy/actor.ts';
import { NO_GRANTS } from '../../src/policy/actor.ts';
import type { DcOwner } from '../../src/policy/verdict.ts';
import { VerdictEngine, type OfferFacts } from '../../src/policy/verdict-engine.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { ADS, BOOTSTRAP, WEATHER, offer, type ChannelSpec } from '../helpers/sdp-builder.ts';
import { labProfile } from '../helpers/profile-fixture.ts';

function actor(profile: Profile, id: string): Actor {
  const peer = profile.peers.find((p) => p.id === id);
  return peer === undefined ? { id, trusted: false, grants: NO_GRANTS } : { id, trusted: peer.trusted, grants: peer.grants };
}

function offerFacts(profile: Profile, from: string, sdp: string, more: Partial<OfferFacts> = {}): OfferFacts {
  return {
    kind: 'offer',
    method: 'INVITE',
    initial: true,
    initiator: actor(profile, from),
    sdp: readSdp(sdp),
    baseline: null,
    owners: [],
    mediaOwners: [],
    servedUsers: ['sip:alice@ims.example.net', 'tel:+15550002222'],
    ...more,
  };
}

const codes = (v: { reasons: readonly { code: string }[] }): string[] => v.reasons.map((r) => r.code);

t.test('a trusted initiator may do anything: SDP passes as the very same string', async (t) => {
  const profile = labProfile();
  const raw = offer({ channels: [BOOTSTRAP, WEATHER, ADS] });
  const v = new VerdictEngine(profile).decide(offerFacts(profile, 'core', raw));
  t.equal(v.action, 'forward');
  t.equal(v.sdp, raw);
  t.same(codes(v), []);
  t.same(v.created.map((c) => c.streamId), [0, 1000, 1002]);
  t.ok(v.enforced);
});

t.test('an untrusted AS adding a granted app DC passes untouched', async (t) => {
  const profile = labProfile();
  const base = offer({ channels: [BOOTSTRAP] });
  const raw = offer({ channels: [BOOTSTRAP, WEATHER], version: 2 });
  const v = new VerdictEngine(profile).decide(offerFacts(profile, 'weather-as', raw, { baseline: readSdp(base) }));
  t.equal(v.action, 'forward');
  t.equal(v.sdp, raw);
  t.same(v.created, [{ mediaIndex: 1, streamId: 1000, owner: 'weather-as' }]);
});

t.test('an ungranted app DC is stripped from the m-line, the rest goes on', async (t) => {
  const profile = labProfile();
  const base = offer({ channels: [BOOTSTRAP] });
  const raw = offer({ channels: [BOOTSTRAP, WEATHER, ADS], version: 2 });
  const v = new VerdictEngine(profile).decide(offerFacts(profile, 'weather-as', raw, { baseline: readSdp(base) }));
  t.equal(v.action, 'forward');
  t.same(codes(v), ['dc.app-not-granted']);
  t.match(v.reasons[0], { appId: 'com.example.ads', mediaIndex: 1, streamId: 1002 });
  const out = readSdp(v.sdp ?? '');
  t.same(out.dcMedia[0]?.channels.map((c) => c.streamId), [0, 1000]);
  t.notMatch(v.sdp ?? '', /com\.example\.ads/);
  t.equal(out.origin?.sessionVersion, '3', 'o= version bumped because the SDP changed');
  t.equal(out.mediaCount, 2);
});

t.test('an app DC with no 3gpp-req-app is an unknown app and needs "*"', async (t) => {
  const profile = labProfile();
  const raw = offer({ channels: [BOOTSTRAP, { stream: 1001, sub: 'x-app' }] });
  const engine = new VerdictEngine(profile);
  const v = engine.decide(offerFacts(profile, 'weather-as', raw, { baseline: readSdp(offer({ channels: [BOOTSTRAP] })) }));
  t.same(codes(v), ['dc.app-not-granted']);
  t.equal(v.reasons[0]?.appId, null);
  const games = engine.decide(offerFacts(profile, 'games-as', raw, { baseline: readSdp(offer({ channels: [BOOTSTRAP] })) }));
  t.same(codes(games), [], 'apps: ["*"] covers unknown applications');
});

t.test('a bootstrap DC from an AS without the bootstrap grant refuses the whole m-line (port 0)', async (t) => {
  const profile = labProfile();
  const raw = offer({ channels: [BOOTSTRAP] });
  const v = new VerdictEngine(profile).decide(offerFacts(profile, 'weather-as', raw));
  t.same(codes(v), ['dc.bootstrap-not-granted']);
  const out = readSdp(v.sdp ?? '');
  t.equal(out.mediaCount, 2, 'm-line kept');
  t.equal(out.dcMedia[0]?.port, 0);
  t.notMatch(v.sdp ?? '', /a=dcmap|a=sctp-port/);
});

t.test('on_unauthorized_dc: reject answers 403 instead of stripping', async (t) => {
  const profile = labProfile();
  const rejecting = { ...profile, guard: { ...profile.guard, onUnauthorizedDc: 'reject' as const } };
  const v = new VerdictEngine(rejecting).decide(offerFacts(rejecting, 'weather-as', offer({ channels: [ADS] })));
  t.equal(v.action, 'reject');
  t.equal(v.status, 403);
  t.same(codes(v), ['dc.app-not-granted']);
  t.equal(v.sdp, null);
});

t.test('a re-INVITE whose only change is a refused DC gets 488; with another change it is stripped and forwarded', async (t) => {
  const profile = labProfile();
  const engine = new VerdictEngine(profile);
  const before = readSdp(offer({ channels: [BOOTSTRAP] }));
  const onlyAds = engine.decide(offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP, ADS], version: 2 }), { initial: false, baseline: before }));
  t.equal(onlyAds.action, 'reject');
  t.equal(onlyAds.status, 488);
  const withAudio = engine.decide(
    offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP, ADS], version: 2, audioPort: 40000 }), { initial: false, baseline: before }),
  );
  t.equal(withAudio.action, 'forward');
  t.match(withAudio.sdp ?? '', /m=audio 40000/);
  t.notMatch(withAudio.sdp ?? '', /dcmap:1002/);
  const update = engine.decide(offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP, ADS], version: 2 }), { method: 'UPDATE', initial: false, baseline: before }));
  t.equal(update.status, 488, 'UPDATE too');
});

t.test('consent: a deny from either party refuses the DC; an allow entry opens it under default deny', async (t) => {
  const denying = labProfile({ consent: '  default: allow\n  users:\n    "tel:+15550002222": { deny: ["weather-as"] }' });
  const v = new VerdictEngine(denying).decide(offerFacts(denying, 'weather-as', offer({ channels: [WEATHER] })));
  t.same(codes(v), ['dc.consent-denied']);
  const perApp = labProfile({ consent: '  default: deny\n  users:\n    "sip:alice@ims.example.net": { allow: ["weather-as:com.example.weather"] }\n    "tel:+15550002222": { allow: ["weather-as"] }' });
  const ok = new VerdictEngine(perApp).decide(offerFacts(perApp, 'weather-as', offer({ channels: [WEATHER] })));
  t.same(codes(ok), []);
  const partial = labProfile({ consent: '  default: deny\n  users:\n    "sip:alice@ims.example.net": { allow: ["weather-as:com.example.weather"] }' });
  const no = new VerdictEngine(partial).decide(offerFacts(partial, 'weather-as', offer({ channels: [WEATHER] })));
  t.same(codes(no), ['dc.consent-denied'], 'the callee has no record and the default is deny');
  const phone = labProfile({ consent: '  default: allow\n  users:\n    "tel:+1-555-000-2222": { deny: ["weather-as:com.example.weather"] }' });
  const viaSip = new VerdictEngine(phone).decide(
    offerFacts(phone, 'weather-as', offer({ channels: [WEATHER] }), { servedUsers: ['sip:+15550002222@ims.example.net;user=phone'] }),
  );
  t.same(codes(viaSip), ['dc.consent-denied'], 'tel and sip;user=phone spellings are one identity');
});

t.test('max_channels counts channels the AS already owns', async (t) => {
  const profile = labProfile({ weatherGrants: '      apps: ["*"]\n      max_channels: 2\n      modify: own' });
  const engine = new VerdictEngine(profile);
  const base = readSdp(offer({ channels: [BOOTSTRAP, { stream: 1000, sub: 'x', app: 'a' }] }));
  const owners: DcOwner[] = [{ mediaIndex: 1, streamId: 1000, owner: 'weather-as' }];
  const raw = offer({ channels: [BOOTSTRAP, { stream: 1000, sub: 'x', app: 'a' }, { stream: 1001, sub: 'x', app: 'b' }, { stream: 1003, sub: 'x', app: 'c' }] });
  const v = engine.decide(offerFacts(profile, 'weather-as', raw, { baseline: base, owners, initial: false }));
  t.same(codes(v), ['dc.cap-channels']);
  t.equal(v.reasons[0]?.streamId, 1003);
  t.same(v.created.map((c) => c.streamId), [1001]);
});

t.test('max_bandwidth_kbps refuses a DC m-line the AS opens above its cap, or without b=AS', async (t) => {
  const profile = labProfile({ weatherGrants: '      apps: ["*"]\n      max_bandwidth_kbps: 256' });
  const engine = new VerdictEngine(profile);
  const base = readSdp(offer({ channels: [BOOTSTRAP] }));
  const wide = engine.decide(offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP], extraDc: [{ bandwidth: 500, channels: [WEATHER] }] }), { baseline: base }));
  t.same(codes(wide), ['dc.cap-bandwidth']);
  const out = readSdp(wide.sdp ?? '');
  t.equal(out.mediaCount, 3);
  t.equal(out.dcMedia[1]?.port, 0);
  t.equal(out.dcMedia[0]?.port, 52718, 'the DC m-line it did not open is untouched');
  const none = engine.decide(offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP], extraDc: [{ bandwidth: null, channels: [WEATHER] }] }), { baseline: base }));
  t.same(codes(none), ['dc.cap-bandwidth']);
  const fits = engine.decide(offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP], extraDc: [{ bandwidth: 200, channels: [WEATHER] }] }), { baseline: base }));
  t.same(codes(fits), []);
  t.same(fits.openedMedia, [{ mediaIndex: 2, owner: 'weather-as' }]);
});

t.test('modify grants: own DCs only under "own", nothing under "none", anything under "any"; violations are 403', async (t) => {
  const owners: DcOwner[] = [
    { mediaIndex: 1, streamId: 0, owner: 'core' },
    { mediaIndex: 1, streamId: 1000, owner: 'weather-as' },
  ];
  const base = readSdp(offer({ channels: [BOOTSTRAP, WEATHER] }));
  const closeOwn = offer({ channels: [BOOTSTRAP], version: 2 });
  const closeOthers = offer({ channels: [WEATHER], version: 2 });
  const own = labProfile();
  const engine = new VerdictEngine(own);
  t.equal(engine.decide(offerFacts(own, 'weather-as', closeOwn, { baseline: base, owners, initial: false })).action, 'forward');
  const hijack = engine.decide(offerFacts(own, 'weather-as', closeOthers, { baseline: base, owners, initial: false }));
  t.equal(hijack.status, 403);
  t.same(codes(hijack), ['dialog.modify-not-granted']);
  t.match(hijack.reasons[0], { streamId: 0, detail: 'closes a DC owned by core' });
  const none = labProfile({ weatherGrants: '      apps: ["*"]\n      modify: none' });
  t.equal(new VerdictEngine(none).decide(offerFacts(none, 'weather-as', closeOwn, { baseline: base, owners, initial: false })).status, 403);
  t.equal(engine.decide(offerFacts(own, 'games-as', closeOthers, { baseline: base, owners, initial: false })).action, 'forward');
  const changed = offer({ channels: [BOOTSTRAP, { ...WEATHER, label: 'weather2' }], version: 2 });
  t.equal(engine.decide(offerFacts(own, 'weather-as', changed, { baseline: base, owners, initial: false })).action, 'forward', 'changing its own DC');
});

t.test('BYE needs terminate: true from an untrusted initiator', async (t) => {
  const profile = labProfile();
  const engine = new VerdictEngine(profile);
  const denied = engine.decide({ kind: 'terminate', initiator: actor(profile, 'weather-as') });
  t.equal(denied.status, 403);
  t.same(codes(denied), ['dialog.terminate-not-granted']);
  t.equal(engine.decide({ kind: 'terminate', initiator: actor(profile, 'games-as') }).action, 'forward');
  t.equal(engine.decide({ kind: 'terminate', initiator: actor(profile, 'core') }).action, 'forward');
});

t.test('an unreadable SDP from an untrusted peer loses its DC part (fail closed), not the call', async (t) => {
  const profile = labProfile();
  const broken = 'v=0\r\nthis is not sdp\r\nm=application 5000 UDP/DTLS/SCTP webrtc-datachannel\r\nm=audio 4000 RTP/AVP 0\r\n';
  const closed = new VerdictEngine(profile).decide({ kind: 'unreadable-sdp', initiator: actor(profile, 'weather-as'), raw: broken, detail: 'bad' });
  t.equal(closed.action, 'forward');
  t.same(codes(closed), ['sdp.unparseable']);
  t.match(closed.sdp ?? '', /m=application 0 UDP\/DTLS\/SCTP/);
  t.match(closed.sdp ?? '', /m=audio 4000/);
  const open = { ...profile, guard: { ...profile.guard, fail: 'open' as const } };
  t.equal(new VerdictEngine(open).decide({ kind: 'unreadable-sdp', initiator: actor(open, 'weather-as'), raw: broken, detail: 'bad' }).sdp, broken);
  t.equal(new VerdictEngine(profile).decide({ kind: 'unreadable-sdp', initiator: actor(profile, 'core'), raw: broken, detail: 'bad' }).sdp, broken);
});

t.test('monitor mode decides and reports, but marks the verdict as not enforced', async (t) => {
  const profile = labProfile();
  const monitor = { ...profile, guard: { ...profile.guard, mode: 'monitor' as const } };
  const v = new VerdictEngine(monitor).decide({ kind: 'terminate', initiator: actor(monitor, 'weather-as') });
  t.equal(v.enforced, false);
  t.equal(v.action, 'reject');
});

t.test('a DC m-line without dcmap lines from an AS without "*" is refused (channels would open in band)', async (t) => {
  const profile = labProfile();
  const raw = offer({ channels: [] });
  const v = new VerdictEngine(profile).decide(offerFacts(profile, 'weather-as', raw));
  t.same(codes(v), ['dc.app-not-granted']);
  t.equal(readSdp(v.sdp ?? '').dcMedia[0]?.port, 0);
});

t.test('answers are aligned with the forwarded offer', async (t) => {
  const profile = labProfile();
  const forwarded = readSdp(offer({ channels: [BOOTSTRAP, WEATHER] }));
  const answer = readSdp(offer({ channels: [BOOTSTRAP, WEATHER, ADS], username: 'bob' }));
  const answerer = actor(profile, 'weather-as');
  const v = new VerdictEngine(profile).decide({ kind: 'answer', forwardedOffer: forwarded, answer, answerRaw: answer.raw, answerer, origin: ORIGIN });
  t.same(codes(v), ['dc.answer-not-offered']);
  t.notMatch(v.sdp ?? '', /dcmap:1002/);
  const same = readSdp(offer({ channels: [BOOTSTRAP, WEATHER], username: 'bob' }));
  t.equal(new VerdictEngine(profile).decide({ kind: 'answer', forwardedOffer: forwarded, answer: same, answerRaw: same.raw, answerer, origin: ORIGIN }).sdp, same.raw);
});

const ORIGIN = { address: '192.0.2.1', addrType: 'IP4' } as const;

t.test('an untrusted answer the guard cannot verify is answered on its behalf with DC refused (fail closed)', async (t) => {
  const profile = labProfile();
  const engine = new VerdictEngine(profile);
  const forwarded = readSdp(offer({ channels: [BOOTSTRAP, WEATHER] }));
  const answerer = actor(profile, 'weather-as');
  const garbage = 'v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\n m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nM=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n';
  const unreadable = engine.decide({ kind: 'answer', forwardedOffer: forwarded, answer: null, answerRaw: garbage, unreadable: 'bad', answerer, origin: ORIGIN });
  t.same(codes(unreadable), ['sdp.unparseable', 'sdp.mline-count', 'sdp.answer-unverifiable'], 'the lines it cannot read are dropped; what is left answers no m-line');
  const written = readSdp(unreadable.sdp ?? '');
  t.equal(written.mediaCount, forwarded.mediaCount, 'as many m-lines as the offer (RFC 3264 6)');
  t.ok(written.dcMedia.every((m) => m.port === 0), 'every DC m-line refused');
  t.notMatch(unreadable.sdp ?? '', /application 9/, 'nothing of the unreadable text passes');

  const extra = readSdp(`${offer({ channels: [BOOTSTRAP, WEATHER], username: 'bob' })}m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=dcmap:1000 label="x"\r\n`);
  const counted = engine.decide({ kind: 'answer', forwardedOffer: forwarded, answer: extra, answerRaw: extra.raw, answerer, origin: ORIGIN });
  t.same(codes(counted), ['sdp.mline-count', 'sdp.answer-unverifiable']);
  const fixed = readSdp(counted.sdp ?? '');
  t.equal(fixed.mediaCount, forwarded.mediaCount);
  t.ok(fixed.dcMedia.every((m) => m.port === 0));
  t.match(counted.sdp ?? '', /m=audio [1-9]/, 'the audio answer is kept');

  const trusted = engine.decide({ kind: 'answer', forwardedOffer: forwarded, answer: extra, answerRaw: extra.raw, answerer: actor(profile, 'core'), origin: ORIGIN });
  t.same(codes(trusted), ['sdp.mline-count']);
  t.equal(trusted.sdp, extra.raw, 'a trusted answerer passes as it came');
});

t.test('REFER needs modify: any from an untrusted initiator', async (t) => {
  const profile = labProfile();
  const engine = new VerdictEngine(profile);
  const refused = engine.decide({ kind: 'transfer', initiator: actor(profile, 'weather-as') });
  t.equal(refused.status, 403);
  t.same(codes(refused), ['dialog.modify-not-granted']);
  t.equal(engine.decide({ kind: 'transfer', initiator: actor(profile, 'games-as') }).action, 'forward');
  t.equal(engine.decide({ kind: 'transfer', initiator: actor(profile, 'core') }).action, 'forward');
});

t.test('max_bandwidth_kbps holds for the call: the DC m-lines an AS opens add up, with the ones it has open already (TS 26.114: bandwidth across all DCs)', async (t) => {
  const profile = labProfile({ weatherGrants: '      apps: ["*"]\n      modify: own\n      max_bandwidth_kbps: 256' });
  const engine = new VerdictEngine(profile);
  const base = readSdp(offer({ channels: [BOOTSTRAP] }));
  const A = { stream: 1000, sub: 'x', app: 'a' };
  const B = { stream: 1002, sub: 'x', app: 'b' };
  // Two lines of 200 kbps, each under the cap: together over it. The second is refused.
  const two = engine.decide(
    offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP], extraDc: [{ port: 52720, bandwidth: 200, channels: [A] }, { port: 52722, bandwidth: 200, channels: [B] }] }), { baseline: base }),
  );
  t.same(codes(two), ['dc.cap-bandwidth']);
  t.equal(two.reasons[0]?.mediaIndex, 3, 'the line that goes over');
  t.same(two.openedMedia, [{ mediaIndex: 2, owner: 'weather-as' }], 'the first fits and is opened');
  t.equal(readSdp(two.sdp ?? '').dcMedia[2]?.port, 0);

  // A re-offer that opens a new line beside one of 200 the AS has open.
  const opened = readSdp(offer({ channels: [BOOTSTRAP], extraDc: [{ port: 52720, bandwidth: 200, channels: [A] }] }));
  const mediaOwners = [{ mediaIndex: 2, owner: 'weather-as' }];
  const owners: DcOwner[] = [{ mediaIndex: 2, streamId: 1000, owner: 'weather-as' }];
  const more = engine.decide(
    offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP], version: 2, extraDc: [{ port: 52720, bandwidth: 200, channels: [A] }, { port: 52722, bandwidth: 100, channels: [B] }] }), {
      baseline: opened,
      owners,
      mediaOwners,
      initial: false,
    }),
  );
  t.same(codes(more), ['dc.cap-bandwidth'], 'a new line on top of what it has open');
  t.match(more.reasons[0]?.detail, /on top of the 200 kbps/);

  // Raising its own line within the cap, while another of its lines holds the rest: refused (403).
  const both = readSdp(offer({ channels: [BOOTSTRAP], extraDc: [{ port: 52720, bandwidth: 100, channels: [A] }, { port: 52722, bandwidth: 100, channels: [B] }] }));
  const raised = engine.decide(
    offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP], version: 2, extraDc: [{ port: 52720, bandwidth: 200, channels: [A] }, { port: 52722, bandwidth: 100, channels: [B] }] }), {
      baseline: both,
      owners: [...owners, { mediaIndex: 3, streamId: 1002, owner: 'weather-as' }],
      mediaOwners: [...mediaOwners, { mediaIndex: 3, owner: 'weather-as' }],
      initial: false,
    }),
  );
  t.equal(raised.action, 'reject');
  t.same(codes(raised), ['dc.cap-bandwidth']);
  t.match(raised.reasons[0]?.detail, /300 kbps, over cap 256/);

  // One line of 200 on its own stays within the cap.
  const alone = engine.decide(
    offerFacts(profile, 'weather-as', offer({ channels: [BOOTSTRAP], version: 2, extraDc: [{ port: 52720, bandwidth: 200, channels: [A] }] }), {
      baseline: opened,
      owners,
      mediaOwners,
      initial: false,
    }),
  );
  t.same(codes(alone), [], 'one line of 200 is within 256');
});

t.test('a standalone DC offer (DC m-lines only, TS 23.228 AG) from an AS: policed without audio, and 488 when every line of it is refused', async (t) => {
  const profile = labProfile();
  const engine = new VerdictEngine(profile);
  const dcOnly = (channels: readonly ChannelSpec[]): string =>
    // The builder writes audio first: cut it, leaving the DC m-line as the only one.
    offer({ channels }).replace(/m=audio[\s\S]*?(?=m=application)/, '');
  const refused = engine.decide(offerFacts(profile, 'weather-as', dcOnly([ADS])));
  t.equal(readSdp(dcOnly([ADS])).mediaCount, 1, 'the offer has one m-line, a DC');
  t.equal(refused.action, 'reject');
  t.equal(refused.status, 488, 'nothing left to offer: 488, not an offer of nothing');
  t.same(codes(refused), ['dc.app-not-granted']);
  const granted = engine.decide(offerFacts(profile, 'weather-as', dcOnly([WEATHER])));
  t.equal(granted.action, 'forward', 'a granted standalone DC passes');
  t.same(codes(granted), []);
  const mixed = engine.decide(offerFacts(profile, 'weather-as', dcOnly([WEATHER, ADS])));
  t.equal(mixed.action, 'forward', 'one channel refused, the line goes on with the other');
  t.same(codes(mixed), ['dc.app-not-granted']);
  const withAudio = engine.decide(offerFacts(profile, 'weather-as', offer({ channels: [ADS] })));
  t.equal(withAudio.action, 'forward', 'with audio beside it, the refused DC is port 0 and the call goes on');
  const trusted = engine.decide(offerFacts(profile, 'core', offer({ channels: [ADS] }).replace(/m=audio[\s\S]*?(?=m=application)/, '').replace(/^m=application \d+/m, 'm=application 0')));
  t.equal(trusted.action, 'forward', "the core's own offer is its own business");
});

t.test('a DC restart (TS 26.114: new a=tls-id, fingerprint, a=setup or port, the same channels) is no new DC: no modify grant needed, and those lines pass byte-exact', async (t) => {
  // weather-as may not change anything (modify: none) and opened nothing of its own.
  const profile = labProfile({ weatherGrants: '      apps: ["com.example.weather"]\n      modify: none' });
  const engine = new VerdictEngine(profile);
  const before = offer({ channels: [BOOTSTRAP, WEATHER] });
  const owners: DcOwner[] = [
    { mediaIndex: 1, streamId: 0, owner: 'core' },
    { mediaIndex: 1, streamId: 1000, owner: 'core' },
  ];
  const restarted = offer({ channels: [BOOTSTRAP, WEATHER], version: 2, dcPort: 53000 })
    .replace('a=tls-id:abc3de65cddef001be82', 'a=tls-id:ffee0011223344556677')
    .replace('a=setup:actpass', 'a=setup:active')
    .replace(/a=fingerprint:SHA-256 [0-9A-F:]+/, 'a=fingerprint:SHA-256 11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00');
  const v = engine.decide(offerFacts(profile, 'weather-as', restarted, { baseline: readSdp(before), owners, mediaOwners: [{ mediaIndex: 1, owner: 'core' }], initial: false }));
  t.equal(v.action, 'forward', 'not refused as a change of a DC it does not own');
  t.same(codes(v), []);
  t.equal(v.sdp, restarted, 'the SDP passes as it came: tls-id, setup and fingerprint byte for byte');
});
