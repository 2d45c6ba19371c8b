import t from 'tap';
import type { OriginatedRequest } from '../../src/call/controller-outcome.ts';
import { sessionExpiresOf } from '../../src/call/session-timer.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { CALLEE_CORE, CORE, WEATHER_AS, controllerFor, forwarded, header, headers, inDialogRequest, replied, responseTo, send, coreInvite as invite } from '../helpers/controller-fixture.ts';
import { labProfile, labProfileYaml } from '../helpers/profile-fixture.ts';
import { BOOTSTRAP, offer } from '../helpers/sdp-builder.ts';

function parseReq(text: string): SipRequest {
  return parseSipMessage(text) as SipRequest;
}

function tagOf(value: string | undefined): string | null {
  return /;\s*tag=([^;>\s]+)/i.exec(value ?? '')?.[1] ?? null;
}

function originated(outcome: { originate?: readonly OriginatedRequest[] }): OriginatedRequest[] {
  return [...(outcome.originate ?? [])];
}

/** A call from the core to the callee core, answered 200 with `extra` headers in the answer. */
async function answeredCall(controller: ReturnType<typeof controllerFor>['controller'], opts: { inviteExtra?: string[]; okExtra?: string[]; callId?: string } = {}) {
  const inviteText = invite({ extra: opts.inviteExtra ?? [], ...(opts.callId === undefined ? {} : { callId: opts.callId }) });
  const out = forwarded(await send(controller, inviteText, CORE)) as SipRequest;
  const ok = forwarded(
    await send(controller, responseTo(out, 200, 'OK', { tag: 'fork-a', body: offer({ channels: [BOOTSTRAP], username: 'bob' }), contact: '<sip:bob@127.0.0.2:5070>', extra: opts.okExtra ?? [] }), CALLEE_CORE),
  ) as SipResponse;
  return { inviteReq: parseReq(inviteText), out, ok };
}

t.test('a second 2xx from another fork is ACKed and ended with BYE by the guard; the caller sees one dialog', async (t) => {
  const { controller, store } = controllerFor(labProfile());
  const { out, ok } = await answeredCall(controller);
  t.equal(ok.status, 200, 'the first fork answers the caller');
  const second = await send(
    controller,
    responseTo(out, 200, 'OK', { tag: 'fork-b', body: offer({ channels: [BOOTSTRAP], username: 'carol' }), contact: '<sip:carol@127.0.0.2:5071>', extra: ['Record-Route: <sip:127.0.0.2:5090;lr>'] }),
    CALLEE_CORE,
  );
  t.equal(second.kind, 'drop', 'nothing of the second 2xx reaches the caller');
  t.match(second.report.reasons, [{ code: 'dialog.forked-answer' }]);
  const [ack, bye] = originated(second);
  t.ok(ack !== undefined && bye !== undefined, 'an ACK and a BYE of the guard');
  if (ack === undefined || bye === undefined) {
    return;
  }
  for (const r of [ack, bye]) {
    t.equal(header(r.request, 'Call-ID'), header(out, 'Call-ID'), `${r.request.method}: the leg's Call-ID`);
    t.equal(tagOf(header(r.request, 'From')), tagOf(header(out, 'From')), `${r.request.method}: the guard's tag on the leg`);
    t.equal(tagOf(header(r.request, 'To')), 'fork-b', `${r.request.method}: the fork's tag`);
    t.equal(r.request.uri, 'sip:carol@127.0.0.2:5071', `${r.request.method}: the fork's Contact is the remote target`);
    t.same(headers(r.request, 'Route'), ['<sip:127.0.0.2:5090;lr>'], `${r.request.method}: the fork's route set`);
    t.equal(header(r.request, 'Max-Forwards'), '70');
    t.equal(r.to.peerId, 'core');
    t.equal(r.to.uri, 'sip:127.0.0.2:5090;lr', 'sent to the first route entry');
  }
  t.equal(ack.request.method, 'ACK');
  t.equal(header(ack.request, 'CSeq'), `${header(out, 'CSeq')?.split(' ')[0]} ACK`, 'the ACK names the INVITE');
  t.equal(bye.request.method, 'BYE');
  t.equal(header(bye.request, 'CSeq'), `${Number(header(out, 'CSeq')?.split(' ')[0]) + 1} BYE`, "the fork dialog's next CSeq");
  t.not(header(ack.request, 'Via'), header(bye.request, 'Via'), 'a new branch each');
  t.not(header(ack.request, 'Via'), header(out, 'Via'));
  t.equal(store.size, 1, 'the call goes on');

  // The call's own dialog is the first fork's: the caller's BYE goes there.
  const callerBye = forwarded(await send(controller, inDialogRequest(parseReq(invite()), ok, 'BYE', 11), CORE)) as SipRequest;
  t.equal(tagOf(header(callerBye, 'To')), 'fork-a');
  t.equal(callerBye.uri, 'sip:bob@127.0.0.2:5070');
});

t.test("an untrusted AS's forked 2xx cannot point the guard's ACK and BYE at another host", async (t) => {
  const { controller } = controllerFor(labProfile());
  const out = forwarded(await send(controller, invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>'] }), CORE)) as SipRequest;
  forwarded(await send(controller, responseTo(out, 200, 'OK', { tag: 'as-a', body: offer({ channels: [BOOTSTRAP] }), contact: '<sip:127.0.0.3:5060>' }), WEATHER_AS));
  const second = await send(controller, responseTo(out, 200, 'OK', { tag: 'as-b', body: offer({ channels: [BOOTSTRAP] }), contact: '<sip:victim@127.0.0.9:5060>' }), WEATHER_AS);
  t.equal(second.kind, 'drop');
  const sent = originated(second);
  t.equal(sent.length, 2);
  for (const r of sent) {
    t.equal(r.to.uri, 'sip:127.0.0.3:5060', `${r.request.method} goes to the AS's own address, not to the host its Contact names`);
  }
  const stranger = await send(controller, responseTo(out, 200, 'OK', { tag: 'as-c', contact: '<sip:127.0.0.9:5060>' }), CALLEE_CORE);
  t.equal(stranger.kind, 'drop');
  t.same(originated(stranger), [], 'a 2xx from a peer the leg does not face makes the guard send nothing');
  t.match(stranger.report.reasons, [{ code: 'dialog.wrong-peer' }]);
});

t.test('a retransmission of the first 2xx is no fork', async (t) => {
  const { controller } = controllerFor(labProfile());
  const { out } = await answeredCall(controller);
  const again = await send(controller, responseTo(out, 200, 'OK', { tag: 'fork-a', body: offer({ channels: [BOOTSTRAP], username: 'bob' }), contact: '<sip:bob@127.0.0.2:5070>' }), CALLEE_CORE);
  t.equal(again.kind, 'drop');
  t.same(originated(again), []);
});

t.test('two early dialogs: each 18x answer is policed against the offer the guard sent; the 2xx fork is the dialog', async (t) => {
  const { controller } = controllerFor(labProfile());
  const out = forwarded(await send(controller, invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>'] }), CORE)) as SipRequest;
  const asked = offer({ channels: [BOOTSTRAP] });
  const first = forwarded(await send(controller, responseTo(out, 183, 'Session Progress', { tag: 'early-a', body: asked, contact: '<sip:127.0.0.3:5060>' }), WEATHER_AS)) as SipResponse;
  t.equal(first.status, 183);
  // The second fork's answer adds a channel the offer never had: it does not reach the caller.
  const more = offer({ channels: [BOOTSTRAP, { stream: 2000, sub: 'x-app', label: 'extra', app: 'com.example.weather' }] });
  const secondOutcome = await send(controller, responseTo(out, 183, 'Session Progress', { tag: 'early-b', body: more, contact: '<sip:127.0.0.3:5060>' }), WEATHER_AS);
  const second = forwarded(secondOutcome) as SipResponse;
  t.match(secondOutcome.report.reasons, [{ code: 'dc.answer-not-offered' }]);
  t.notMatch(second.body, /a=dcmap:2000/, "the second early dialog's extra channel is removed");
  t.equal(tagOf(header(second, 'To')), tagOf(header(first, 'To')), 'the caller sees one early dialog');
  const ok = forwarded(await send(controller, responseTo(out, 200, 'OK', { tag: 'early-b', body: asked, contact: '<sip:127.0.0.3:5060>' }), WEATHER_AS)) as SipResponse;
  t.equal(ok.status, 200);
  const callerAck = forwarded(await send(controller, inDialogRequest(parseReq(invite()), ok, 'ACK', 10), CORE)) as SipRequest;
  t.equal(tagOf(header(callerAck, 'To')), 'early-b', 'the dialog is the fork that answered 2xx');
});

t.test('RFC 4028: a Session-Expires under the guard floor gets 422 with Min-SE, new call or refresh', async (t) => {
  const { controller, store } = controllerFor(labProfile());
  const tooShort = replied(await send(controller, invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>'], extra: ['Session-Expires: 1;refresher=uac', 'Min-SE: 1'], callId: 'short' }), CORE));
  t.equal(tooShort.status, 422);
  t.equal(header(tooShort, 'Min-SE'), '90');
  t.equal(store.size, 0, 'nothing set up');
  const garbled = replied(await send(controller, invite({ extra: ['Session-Expires: soon'], callId: 'garbled' }), CORE));
  t.equal(garbled.status, 422, 'an unreadable Session-Expires too');

  const { inviteReq, out, ok } = await answeredCall(controller, { inviteExtra: ['Session-Expires: 1800', 'Min-SE: 60'] });
  t.equal(header(out, 'Min-SE'), '90', "a lower Min-SE goes on raised to the guard's");
  t.equal(header(out, 'Session-Expires'), '1800', 'Session-Expires is relayed');
  const refresh = replied(await send(controller, inDialogRequest(inviteReq, ok, 'UPDATE', 11, { extra: ['Session-Expires: 5', 'Contact: <sip:alice@10.0.0.1:5060>'] }), CORE));
  t.equal(refresh.status, 422, 'a refresh asking for 5 s');
  t.equal(tagOf(header(refresh, 'To')), tagOf(header(ok, 'To')), "answered with the leg's own tag");
});

t.test('a 2xx whose Session-Expires is under the floor reaches the caller raised to it', async (t) => {
  const { controller } = controllerFor(labProfile());
  const { ok } = await answeredCall(controller, { inviteExtra: ['Session-Expires: 1800'], okExtra: ['Session-Expires: 2;refresher=uas', 'Require: timer'] });
  t.same(sessionExpiresOf(ok), { delta: 90, refresher: 'uas' });
});

t.test('a session not refreshed in time: BYE on both legs, the call and its counts freed; a refreshed one lives on', async (t) => {
  let now = 1_000_000;
  const base = labProfile();
  const profile = { ...base, peers: base.peers.map((p) => (p.id === 'weather-as' ? { ...p, limits: { requestsPerSecond: null, burst: null, concurrentCalls: 5 } } : p)) };
  const { controller, store } = controllerFor(profile, () => now);
  // Through weather-as: so its live-call count is kept.
  const inviteText = invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>'], extra: ['Session-Expires: 120;refresher=uac', 'Supported: timer'], callId: 'timed' });
  const out = forwarded(await send(controller, inviteText, CORE)) as SipRequest;
  const ok = forwarded(
    await send(controller, responseTo(out, 200, 'OK', { tag: 'as-tag', body: offer({ channels: [BOOTSTRAP] }), contact: '<sip:127.0.0.3:5060>', extra: ['Session-Expires: 120;refresher=uac', 'Require: timer'] }), WEATHER_AS),
  ) as SipResponse;
  t.equal(await store.liveCallsOf('weather-as'), 1);

  now += 100_000;
  t.same(await controller.expireSessions(), [], 'within the interval nothing happens');
  // The caller refreshes with UPDATE: the interval starts again.
  const update = forwarded(await send(controller, inDialogRequest(parseReq(inviteText), ok, 'UPDATE', 11, { extra: ['Session-Expires: 120;refresher=uac', 'Contact: <sip:alice@10.0.0.1:5060>'] }), CORE)) as SipRequest;
  forwarded(await send(controller, responseTo(update, 200, 'OK', { extra: ['Session-Expires: 120;refresher=uac'] }), WEATHER_AS));
  now += 100_000;
  t.same(await controller.expireSessions(), [], 'refreshed: past the first interval, the call lives on');
  t.equal(store.size, 1);

  now += 21_000;
  const ended = await controller.expireSessions();
  t.equal(ended.length, 1, 'no refresh in time: the call is ended');
  const outcome = ended[0];
  if (outcome === undefined) {
    return;
  }
  t.match(outcome.report, { action: 'drop', reasons: [{ code: 'session.expired', peer: 'core' }] });
  const byes = originated(outcome);
  t.same(
    byes.map((b) => b.request.method),
    ['BYE', 'BYE'],
  );
  const [up, down] = byes;
  if (up === undefined || down === undefined) {
    return;
  }
  t.equal(header(up.request, 'Call-ID'), 'timed', "the caller's leg: its Call-ID");
  t.equal(tagOf(header(up.request, 'To')), 'caller-tag', "the caller's tag");
  t.equal(tagOf(header(up.request, 'From')), tagOf(header(ok, 'To')), "the guard's tag toward the caller");
  t.equal(up.request.uri, 'sip:alice@10.0.0.1:5060', "the caller's Contact");
  t.equal(up.to.peerId, 'core');
  t.equal(header(down.request, 'Call-ID'), header(out, 'Call-ID'));
  t.equal(tagOf(header(down.request, 'To')), 'as-tag');
  t.equal(header(down.request, 'CSeq'), `${Number(header(update, 'CSeq')?.split(' ')[0]) + 1} BYE`, "the next CSeq of the guard's side of that leg");
  t.equal(down.to.uri, 'sip:127.0.0.3:5060');
  t.equal(store.size, 0, 'the call is gone');
  t.equal(await store.liveCallsOf('weather-as'), 0, "and no longer counts against the AS's concurrent_calls");
  t.same(await controller.expireSessions(), [], 'and is ended once');
});

t.test('sip.min_se and sip.forked_answers: defaults, bounds, and relay refused', async (t) => {
  const profile = labProfile();
  t.equal(profile.sip.minSe, 90);
  t.equal(profile.sip.forkedAnswers, 'end');
  const withSip = (extra: string): string => labProfileYaml().replace('  next_hop: "sip:127.0.0.2:5060"', `  next_hop: "sip:127.0.0.2:5060"\n${extra}`);
  t.equal(parseProfile(withSip('  min_se: 1800'), 'p.yaml').sip.minSe, 1800);
  t.throws(() => parseProfile(withSip('  min_se: 30'), 'p.yaml'), /^p\.yaml:11: sip\.min_se: must be at least 90 \(got 30\)$/);
  t.throws(() => parseProfile(withSip('  forked_answers: relay'), 'p.yaml'), /^p\.yaml:11: sip\.forked_answers: must be one of end \(got "relay"\)$/);
});
