import t from 'tap';
import type { OriginatedRequest } from '../../src/call/controller-outcome.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { CALLEE_CORE, CORE, WEATHER_AS, controllerFor, forwarded, header, headers, inDialogRequest, responseTo, send, coreInvite as invite } from '../helpers/controller-fixture.ts';
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

t.test('sip.forked_answers: default end, relay refused', async (t) => {
  const profile = labProfile();
  t.equal(profile.sip.forkedAnswers, 'end');
  const withSip = (extra: string): string => labProfileYaml().replace('  next_hop: "sip:127.0.0.2:5060"', `  next_hop: "sip:127.0.0.2:5060"\n${extra}`);
  t.throws(() => parseProfile(withSip('  forked_answers: relay'), 'p.yaml'), /^p\.yaml:11: sip\.forked_answers: must be one of end \(got "relay"\)$/);
});
