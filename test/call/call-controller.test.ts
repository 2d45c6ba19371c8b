import t from 'tap';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { ADS, BOOTSTRAP, WEATHER, offer } from '../helpers/sdp-builder.ts';
import {
  CALLEE_CORE,
  CORE,
  GAMES_AS,
  WEATHER_AS,
  controllerFor,
  forwarded,
  header,
  headers,
  inDialogRequest,
  replied,
  responseTo,
  send,
  coreInvite as invite,
} from '../helpers/controller-fixture.ts';

t.test('a trusted call with a bootstrap DC passes untouched, answer and all', async (t) => {
  const { controller, store } = controllerFor(labProfile());
  const sdp = offer({ channels: [BOOTSTRAP] });
  const out = forwarded(await send(controller, invite({ body: sdp }), CORE)) as SipRequest;
  t.equal(out.body, sdp, 'offer byte-identical');
  t.equal(out.uri, 'tel:+15550002222');
  t.not(header(out, 'Call-ID'), 'orig-call-1@10.0.0.1', 'the B2BUA has its own Call-ID on each leg');
  t.match(header(out, 'Via') ?? '', /^SIP\/2\.0\/UDP 127\.0\.0\.10:5060;branch=z9hG4bK/);
  t.equal(headers(out, 'Via').length, 1, 'upstream Via never crosses');
  t.equal(header(out, 'P-Asserted-Identity'), '"Alice" <sip:alice@ims.example.net>', 'trusted peers see real identities');
  t.equal(header(out, 'Max-Forwards'), '69');

  const answer = offer({ channels: [BOOTSTRAP], username: 'bob' });
  const ok = forwarded(await send(controller, responseTo(out, 200, 'OK', { body: answer, contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE)) as SipResponse;
  t.equal(ok.status, 200);
  t.equal(ok.body, answer, 'answer byte-identical');
  t.equal(header(ok, 'Call-ID'), 'orig-call-1@10.0.0.1');
  t.match(header(ok, 'Via') ?? '', /branch=z9hG4bK-orig-1/);
  t.match(header(ok, 'To') ?? '', /;tag=dcg-tag-/);
  t.match(header(ok, 'Contact') ?? '', /127\.0\.0\.10/);

  const ack = forwarded(await send(controller, inDialogRequest(parseReq(invite()), ok, 'ACK', 10), CORE)) as SipRequest;
  t.equal(ack.method, 'ACK');
  t.equal(ack.uri, 'sip:bob@10.0.0.2', 'ACK goes to the callee Contact');
  t.match(header(ack, 'CSeq') ?? '', /^1 ACK$/);

  const bye = forwarded(await send(controller, inDialogRequest(parseReq(invite()), ok, 'BYE', 11), CORE)) as SipRequest;
  t.match(header(bye, 'CSeq') ?? '', /^2 BYE$/);
  const byeOk = forwarded(await send(controller, responseTo(bye, 200, 'OK'), CALLEE_CORE));
  t.equal((byeOk as SipResponse).status, 200);
  t.equal(store.size, 0, 'an ended call leaves no state');
});

t.test('a call through an untrusted AS: pseudonyms out, real identities back, the AS policed as itself', async (t) => {
  const { controller } = controllerFor(labProfile());
  const extra = [
    'P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=00101ABCD',
    'P-Charging-Vector: icid-value=icid-77;orig-ioi=ims.example.net',
    'History-Info: <sip:bob@ims.example.net?Reason=SIP%3Bcause%3D302>;index=1, <tel:+15550002222>;index=1.1',
  ];
  const toAs = forwarded(
    await send(controller, invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>', '<sip:127.0.0.2:5060;lr;odi=xyz>'], extra }), CORE),
  ) as SipRequest;
  const text = JSON.stringify(toAs);
  for (const secret of ['alice', '15550002222', 'Alice', 'bob', 'utran-cell', 'icid-77']) {
    t.notOk(text.includes(secret), `"${secret}" is not sent to the AS`);
  }
  t.match(toAs.uri, /^sip:dcg-[a-z2-7]+@pseudonym\.invalid$/);
  t.same(headers(toAs, 'Route'), ['<sip:127.0.0.3:5060;lr>', '<sip:127.0.0.10:5060;lr;dcg=tok1>', '<sip:127.0.0.2:5060;lr;odi=xyz>']);
  t.match(toAs.body, /^o=- /m, 'SDP o= username hidden');

  // The AS sends its onward request back through the guard, adding one granted and one ungranted app DC.
  const asOffer = toAs.body.replace(/\r\n$/, '') + '\r\na=dcmap:1000 label="weather";subprotocol="x-app"\r\na=3gpp-req-app:com.example.weather\r\na=dcmap:1002 label="ads";subprotocol="x-app"\r\na=3gpp-req-app:com.example.ads\r\n';
  const onward = [
    `INVITE ${toAs.uri} SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-as-1',
    'Max-Forwards: 68',
    'Route: <sip:127.0.0.10:5060;lr;dcg=tok1>, <sip:127.0.0.2:5060;lr;odi=xyz>',
    `From: ${header(toAs, 'From')?.replace(/;tag=.*/, '') ?? ''};tag=as-tag`,
    `To: ${header(toAs, 'To') ?? ''}`,
    'Call-ID: as-call-1',
    'CSeq: 1 INVITE',
    'Contact: <sip:127.0.0.3:5060>',
    `P-Asserted-Identity: ${header(toAs, 'P-Asserted-Identity') ?? ''}, <sip:ceo@bank.example>`,
    'Content-Type: application/sdp',
    '',
    asOffer,
  ].join('\r\n');
  const outcome = await send(controller, onward, WEATHER_AS);
  const toCore = forwarded(outcome) as SipRequest;
  t.equal(toCore.uri, 'tel:+15550002222', 'Request-URI mapped back');
  t.match(header(toCore, 'From') ?? '', /^"Alice" <sip:alice@ims\.example\.net>;tag=/);
  t.equal(header(toCore, 'To'), '<tel:+15550002222>');
  t.equal(header(toCore, 'P-Asserted-Identity'), '"Alice" <sip:alice@ims.example.net>', 'the AS asserted nothing of its own');
  t.match(header(toCore, 'P-Charging-Vector') ?? '', /icid-77/, 'charging correlation restored for the core');
  t.same(headers(toCore, 'Route'), ['<sip:127.0.0.2:5060;lr;odi=xyz>']);
  t.same(outcome.report.reasons.map((r) => r.code), ['dc.app-not-granted']);
  const sdp = readSdp(toCore.body);
  t.same(sdp.dcMedia[0]?.channels.map((c) => c.streamId), [0, 1000], 'granted app kept, ungranted stripped');

  // The callee answers; the answer goes to the AS shielded, and comes back to the caller restored.
  const answer = offer({ channels: [BOOTSTRAP, WEATHER], username: 'bob' });
  const toAsAnswer = forwarded(
    await send(
      controller,
      responseTo(toCore, 200, 'OK', { body: answer, contact: '<sip:bob@10.0.0.2>', extra: ['P-Asserted-Identity: <tel:+15550002222>'] }),
      CALLEE_CORE,
    ),
  ) as SipResponse;
  t.equal(toAsAnswer.status, 200);
  t.match(header(toAsAnswer, 'P-Asserted-Identity') ?? '', /^<sip:dcg-.*@pseudonym\.invalid>$/);
  t.notOk(JSON.stringify(toAsAnswer).includes('bob'), 'o= username of the callee hidden from the AS');
  const asAnswer = responseTo(toAs, 200, 'OK', {
    body: toAsAnswer.body,
    contact: '<sip:127.0.0.3:5060>',
    extra: [`P-Asserted-Identity: ${header(toAsAnswer, 'P-Asserted-Identity') ?? ''}`],
  });
  const toCaller = forwarded(await send(controller, asAnswer, WEATHER_AS)) as SipResponse;
  t.equal(header(toCaller, 'P-Asserted-Identity'), '<tel:+15550002222>', 'callee identity restored toward the caller');
  t.equal(header(toCaller, 'Call-ID'), 'orig-call-1@10.0.0.1');
  t.equal(readSdp(toCaller.body).mediaCount, 2);
});

t.test('an untrusted AS originating a call with an ungranted app DC: port 0 to the callee, a valid answer to the AS', async (t) => {
  const { controller } = controllerFor(labProfile());
  const asInvite = invite({ body: offer({ channels: [ADS] }) }).replace('127.0.0.1:5060;branch', '127.0.0.3:5060;branch');
  const out = await send(controller, asInvite, WEATHER_AS);
  const toCallee = forwarded(out) as SipRequest;
  t.same(out.report.reasons.map((r) => r.code), ['dc.app-not-granted']);
  const sdp = readSdp(toCallee.body);
  t.equal(sdp.mediaCount, 2);
  t.equal(sdp.dcMedia[0]?.port, 0);
  t.equal(header(toCallee, 'P-Asserted-Identity'), undefined, 'an untrusted peer cannot assert identity');

  const calleeAnswer = offer({ channels: [], dcPort: 0, username: 'bob' }).replace(/a=(max-message-size|sctp-port|setup|fingerprint|tls-id).*\r\n/g, '');
  const back = forwarded(await send(controller, responseTo(toCallee, 200, 'OK', { body: calleeAnswer }), CALLEE_CORE)) as SipResponse;
  const answer = readSdp(back.body);
  t.equal(answer.mediaCount, 2, 'answer has as many m-lines as the AS offered');
  t.equal(answer.dcMedia[0]?.port, 0);
});

t.test('on_unauthorized_dc: reject answers 403 to the AS', async (t) => {
  const base = labProfile();
  const { controller } = controllerFor({ ...base, guard: { ...base.guard, onUnauthorizedDc: 'reject' } });
  const res = replied(await send(controller, invite({ body: offer({ channels: [ADS] }) }), WEATHER_AS));
  t.equal(res.status, 403);
  t.match(header(res, 'Warning') ?? '', /^399 127\.0\.0\.10 "dc\.app-not-granted"$/);
  t.match(header(res, 'Via') ?? '', /branch=z9hG4bK-orig-1/);
  t.match(header(res, 'To') ?? '', /;tag=/);
});

async function establish(controller: ReturnType<typeof controllerFor>['controller'], from: typeof CORE, body: string) {
  const req = parseReq(invite({ body }));
  const out = forwarded(await send(controller, req, from)) as SipRequest;
  const answer = offer({ channels: readSdp(out.body).dcMedia[0]?.channels.map((c) => ({ stream: c.streamId, sub: c.subprotocol ?? undefined, label: c.label ?? undefined, app: c.appId ?? undefined })) ?? [], username: 'bob' });
  const ok = forwarded(await send(controller, responseTo(out, 200, 'OK', { body: answer, contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE)) as SipResponse;
  forwarded(await send(controller, inDialogRequest(req, ok, 'ACK', 10), from));
  return { req, out, ok, answer };
}

t.test('a re-INVITE from an untrusted AS adding an ungranted DC gets 488 and the call goes on', async (t) => {
  const { controller } = controllerFor(labProfile());
  const first = offer({ channels: [WEATHER] });
  const { req, ok } = await establish(controller, WEATHER_AS, first);
  const res = replied(await send(controller, inDialogRequest(req, ok, 'INVITE', 11, { body: offer({ channels: [WEATHER, ADS], version: 2 }) }), WEATHER_AS));
  t.equal(res.status, 488);
  t.match(header(res, 'Warning') ?? '', /dc\.app-not-granted/);
  const info = await send(controller, inDialogRequest(req, ok, 'INFO', 12), WEATHER_AS);
  t.equal(info.kind, 'forward', 'the dialog is still there');
});

t.test('BYE from an untrusted AS without terminate gets 403; the real BYE ends the call on both legs', async (t) => {
  const { controller, store } = controllerFor(labProfile());
  const { req, ok, out } = await establish(controller, WEATHER_AS, offer({ channels: [WEATHER] }));
  const refused = replied(await send(controller, inDialogRequest(req, ok, 'BYE', 11), WEATHER_AS));
  t.equal(refused.status, 403);
  t.match(header(refused, 'Warning') ?? '', /dialog\.terminate-not-granted/);
  t.equal(store.size, 1);
  // The callee hangs up: its BYE on the downstream leg reaches the AS.
  const calleeBye = inDialogRequest(out, calleeView(out), 'BYE', 1, { fromCallee: true });
  const toAs = forwarded(await send(controller, calleeBye, CALLEE_CORE)) as SipRequest;
  t.equal(toAs.method, 'BYE');
  t.equal(header(toAs, 'Call-ID'), 'orig-call-1@10.0.0.1');
  forwarded(await send(controller, responseTo(toAs, 200, 'OK'), WEATHER_AS));
  t.equal(store.size, 0);
});

t.test('a peer may not use another peer\'s dialog, nor bring back a call it was not handed', async (t) => {
  const { controller } = controllerFor(labProfile());
  const { req, ok } = await establish(controller, WEATHER_AS, offer({ channels: [WEATHER] }));
  const hijack = await send(controller, inDialogRequest(req, ok, 'BYE', 11), GAMES_AS);
  t.equal(replied(hijack).status, 403, 'the dialog is weather-as\'s: games-as may not end it');
  t.match(header(replied(hijack), 'Warning') ?? '', /dialog\.wrong-peer/);
  const toAs = forwarded(await send(controller, invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>'], callId: 'c2' }), CORE)) as SipRequest;
  t.ok(toAs);
  const stolen = replied(await send(controller, invite({ route: ['<sip:127.0.0.10:5060;lr;dcg=tok1>'], callId: 'c3' }), GAMES_AS));
  t.equal(stolen.status, 403);
  const forged = replied(await send(controller, invite({ route: ['<sip:127.0.0.10:5060;lr;dcg=guess>'], callId: 'c4' }), WEATHER_AS));
  t.equal(forged.status, 403);
});

t.test('CANCEL of a ringing call goes downstream with the INVITE\'s branch; 487 comes back', async (t) => {
  const { controller, store } = controllerFor(labProfile());
  const out = forwarded(await send(controller, invite(), CORE)) as SipRequest;
  const ringing = forwarded(await send(controller, responseTo(out, 180, 'Ringing'), CALLEE_CORE)) as SipResponse;
  t.equal(ringing.status, 180);
  const cancel = invite().replace(/^INVITE/, 'CANCEL').replace('CSeq: 10 INVITE', 'CSeq: 10 CANCEL').replace(/Content-Type[\s\S]*$/, '\r\n');
  const down = forwarded(await send(controller, cancel, CORE)) as SipRequest;
  t.equal(down.method, 'CANCEL');
  t.equal(header(down, 'Via'), header(out, 'Via'));
  t.equal(down.uri, out.uri);
  t.match(header(down, 'CSeq') ?? '', /^1 CANCEL$/);
  const terminated = forwarded(await send(controller, responseTo(out, 487, 'Request Terminated'), CALLEE_CORE)) as SipResponse;
  t.equal(terminated.status, 487);
  t.match(header(terminated, 'CSeq') ?? '', /^10 INVITE$/);
  t.equal(store.size, 0);
});

t.test('an unknown peer gets 403 under unknown_peers: reject', async (t) => {
  const { controller } = controllerFor(labProfile());
  const res = replied(await send(controller, invite(), { address: '127.0.0.77', port: 5060, transport: 'udp' }));
  t.equal(res.status, 403);
  t.match(header(res, 'Warning') ?? '', /peer\.unknown/);
});

t.test('requests_per_second: the burst is spent, then 503 with Retry-After', async (t) => {
  const { controller } = controllerFor(withLimits());
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const outcome = await send(controller, invite({ callId: `rl-${i}` }), WEATHER_AS);
    statuses.push(outcome.kind === 'reply' ? outcome.response.status : 0);
  }
  t.same(statuses, [0, 0, 0, 503]);
});

function withLimits() {
  const base = labProfile();
  return {
    ...base,
    peers: base.peers.map((p) => (p.id === 'weather-as' ? { ...p, limits: { requestsPerSecond: 1, burst: 3, concurrentCalls: null } } : p)),
  };
}

function parseReq(text: string): SipRequest {
  const msg = parseSipMessage(text);
  if (msg.kind !== 'request') {
    throw new Error('not a request');
  }
  return msg;
}

/** The callee's view of the downstream dialog: its 200 carried the To tag it chose. */
function calleeView(out: SipRequest): SipResponse {
  return parseSipMessage(responseTo(out, 200, 'OK')) as SipResponse;
}

t.test('abandoned calls expire: early ones after minutes, confirmed ones after hours of silence', async (t) => {
  let now = 0;
  const { controller, store } = controllerFor(labProfile(), () => now);
  forwarded(await send(controller, invite({ callId: 'early-1' }), CORE));
  const { EARLY_IDLE_MS, CONFIRMED_IDLE_MS } = await import('../../src/call/call-controller.ts');
  const confirmedReq = parseReq(invite({ callId: 'conf-1' }));
  const out = forwarded(await send(controller, confirmedReq, CORE)) as SipRequest;
  forwarded(await send(controller, responseTo(out, 200, 'OK', { body: offer({ username: 'bob' }), contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE));
  t.equal(store.size, 2);
  now = EARLY_IDLE_MS + 1;
  t.equal(await controller.expireAbandoned(), 1, 'the unanswered INVITE went');
  t.equal(store.size, 1);
  now = CONFIRMED_IDLE_MS + 1;
  t.equal(await controller.expireAbandoned(), 1, 'the silent confirmed call went');
  t.equal(store.size, 0);
});

t.test('concurrent_calls counts live calls per peer and frees them as calls end', async (t) => {
  const base = labProfile();
  const profile = {
    ...base,
    peers: base.peers.map((p) => (p.id === 'weather-as' ? { ...p, limits: { requestsPerSecond: null, burst: null, concurrentCalls: 2 } } : p)),
  };
  const { controller, store } = controllerFor(profile);
  const first = forwarded(await send(controller, invite({ callId: 'cc-1' }), WEATHER_AS)) as SipRequest;
  forwarded(await send(controller, invite({ callId: 'cc-2' }), WEATHER_AS));
  const third = replied(await send(controller, invite({ callId: 'cc-3' }), WEATHER_AS));
  t.equal(third.status, 503);
  t.match(header(third, 'Warning') ?? '', /peer\.concurrent-calls/);
  t.equal(await store.liveCallsOf('weather-as'), 2);
  forwarded(await send(controller, responseTo(first, 486, 'Busy Here'), CALLEE_CORE));
  t.equal(await store.liveCallsOf('weather-as'), 1, 'a failed call frees its slot');
  t.equal((await send(controller, invite({ callId: 'cc-4' }), WEATHER_AS)).kind, 'forward');
});

t.test('reliable provisional with SDP and PRACK: RAck maps to the other leg\'s INVITE CSeq', async (t) => {
  const { controller } = controllerFor(labProfile());
  const req = parseReq(invite({ extra: ['Supported: 100rel'] }));
  const out = forwarded(await send(controller, req, CORE)) as SipRequest;
  const early = offer({ channels: [BOOTSTRAP], username: 'bob' });
  const reliable = forwarded(
    await send(controller, responseTo(out, 183, 'Session Progress', { body: early, contact: '<sip:bob@10.0.0.2>', extra: ['Require: 100rel', 'RSeq: 1'] }), CALLEE_CORE),
  ) as SipResponse;
  t.equal(reliable.status, 183);
  t.equal(header(reliable, 'RSeq'), '1');
  t.equal(reliable.body, early, 'early answer passes untouched');
  const prack = forwarded(
    await send(controller, inDialogRequest(req, reliable, 'PRACK', 11, { extra: ['RAck: 1 10 INVITE'] }), CORE),
  ) as SipRequest;
  t.equal(prack.method, 'PRACK');
  t.equal(header(prack, 'RAck'), '1 1 INVITE', 'RAck names the downstream INVITE (CSeq 1), not the upstream one (10)');
  t.equal(prack.uri, 'sip:bob@10.0.0.2');
});

t.test('a re-INVITE without SDP: the offer comes in the 200 and its answer in the ACK, both policed', async (t) => {
  const { controller } = controllerFor(labProfile());
  const { req, ok } = await establish(controller, CORE, offer({ channels: [BOOTSTRAP] }));
  const reinvite = forwarded(await send(controller, inDialogRequest(req, ok, 'INVITE', 11), CORE)) as SipRequest;
  t.equal(reinvite.body, '');
  // The callee (trusted core) offers in its 200; the caller answers in the ACK with an extra channel it was not offered.
  const calleeOffer = offer({ channels: [BOOTSTRAP], username: 'bob', version: 2 });
  const ok2 = forwarded(await send(controller, responseTo(reinvite, 200, 'OK', { body: calleeOffer, tag: header(ok, 'To')?.match(/tag=([^;]+)/)?.[1] ?? 'x' }), CALLEE_CORE)) as SipResponse;
  t.equal(ok2.status, 200);
  t.match(ok2.body, /a=dcmap:0 /);
  const answer = offer({ channels: [BOOTSTRAP, ADS], version: 2 });
  const ack = forwarded(await send(controller, inDialogRequest(req, ok, 'ACK', 11, { body: answer }), CORE)) as SipRequest;
  t.equal(ack.method, 'ACK');
  t.notMatch(ack.body, /dcmap:1002/, 'the answer may not add a channel the offer lacked');
  t.match(ack.body, /a=dcmap:0 /);
});

t.test('in-dialog requests from the AS map back only the pseudonyms handed to it the same way', async (t) => {
  const { controller } = controllerFor(labProfile());
  const req = parseReq(invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>'] }));
  const toAs = forwarded(await send(controller, req, CORE)) as SipRequest;
  const pseudonymPai = header(toAs, 'P-Asserted-Identity') ?? '';
  t.match(pseudonymPai, /^<sip:dcg-[a-z2-7]+@pseudonym\.invalid>$/);
  // The AS answers the call itself (it is the UAS on this hop), then sends an in-dialog INFO
  // naming the caller by the pseudonym it was given.
  const ok = forwarded(
    await send(controller, responseTo(toAs, 200, 'OK', { body: offer({ channels: [BOOTSTRAP], username: 'as' }), contact: '<sip:127.0.0.3:5060>' }), WEATHER_AS),
  ) as SipResponse;
  forwarded(await send(controller, inDialogRequest(req, ok, 'ACK', 10), CORE));
  const asView = parseSipMessage(responseTo(toAs, 200, 'OK', { tag: 'uas-tag' })) as SipResponse;
  const info = inDialogRequest(toAs, asView, 'INFO', 1, { fromCallee: true, extra: [`P-Asserted-Identity: ${pseudonymPai}`, 'P-Preferred-Identity: <sip:someone@else.example>'] });
  const toCaller = forwarded(await send(controller, info, WEATHER_AS)) as SipRequest;
  t.equal(toCaller.method, 'INFO');
  // The caller's pseudonym was handed to the AS going down (toward the callee); a message going
  // up that asserts it would tell Alice that Alice is calling her.
  t.equal(header(toCaller, 'P-Asserted-Identity'), undefined, "the caller's pseudonym does not become the other side's asserted identity");
  t.equal(header(toCaller, 'P-Preferred-Identity'), undefined, 'an identity the AS made up is not passed on');
  t.equal(header(toCaller, 'Call-ID'), 'orig-call-1@10.0.0.1');
});

t.test('the initiator header: a trusted peer acting for an AS is policed as that AS; from anyone else it is ignored; never forwarded', async (t) => {
  const { controller } = controllerFor(labProfile());
  const forAs = await send(controller, invite({ body: offer({ channels: [WEATHER, ADS] }), extra: ['P-DC-Initiator: weather-as'], callId: 'ini-1' }), CORE);
  const out = forwarded(forAs) as SipRequest;
  t.equal(forAs.report.initiator, 'weather-as');
  t.same(forAs.report.reasons.map((r) => r.code), ['dc.app-not-granted'], 'the core acting for weather-as gets weather-as\'s grants');
  t.notMatch(out.body, /dcmap:1002/);
  t.equal(header(out, 'P-DC-Initiator'), undefined, 'removed before forwarding');

  const spoofed = await send(controller, invite({ body: offer({ channels: [WEATHER] }), extra: ['P-DC-Initiator: core'], callId: 'ini-2' }), WEATHER_AS);
  t.equal(spoofed.report.initiator, 'weather-as', 'an untrusted peer cannot claim to act for the core');
  t.same(spoofed.report.reasons.map((r) => r.code), ['initiator.ignored']);
  t.equal(header(forwarded(spoofed), 'P-DC-Initiator'), undefined);

  const unknown = await send(controller, invite({ body: offer({ channels: [WEATHER] }), extra: ['P-DC-Initiator: nobody-as'], callId: 'ini-3' }), CORE);
  t.equal(unknown.report.initiator, 'unknown:nobody-as');
  t.same(unknown.report.reasons.map((r) => r.code), ['initiator.unknown', 'dc.cap-bandwidth'], 'an unknown AS has no grants: a bandwidth cap of 0');
  t.equal(readSdp((forwarded(unknown) as SipRequest).body).dcMedia[0]?.port, 0, 'so the DC m-line it opens is refused whole');
});

t.test('monitor mode: the verdict is reported as what enforce would do, and the message goes on unchanged', async (t) => {
  const base = labProfile();
  const { controller } = controllerFor({ ...base, guard: { ...base.guard, mode: 'monitor' } });
  const sdp = offer({ channels: [WEATHER, ADS] });
  const outcome = await send(controller, invite({ body: sdp }), WEATHER_AS);
  const out = forwarded(outcome) as SipRequest;
  t.equal(out.body, sdp, 'SDP untouched');
  t.same(outcome.report.reasons.map((r) => r.code), ['dc.app-not-granted']);
  t.same(outcome.report.wouldHave, { action: 'forward', status: null, sdpChanged: true });
  const ok = forwarded(await send(controller, responseTo(out, 200, 'OK', { body: offer({ channels: [WEATHER, ADS], username: 'bob' }), contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE)) as SipResponse;
  const req = parseReq(invite({ body: sdp }));
  forwarded(await send(controller, inDialogRequest(req, ok, 'ACK', 10), WEATHER_AS));
  const bye = await send(controller, inDialogRequest(req, ok, 'BYE', 11), WEATHER_AS);
  t.equal(bye.kind, 'forward', 'a BYE enforce mode would refuse still goes through');
  t.same(bye.report.wouldHave, { action: 'reject', status: 403, sdpChanged: false });
});

t.test('a REFER from an AS without modify: any is refused and the dialog goes on', async (t) => {
  const { controller } = controllerFor(labProfile());
  const { req, ok } = await establish(controller, WEATHER_AS, offer({ channels: [WEATHER] }));
  const refer = replied(await send(controller, inDialogRequest(req, ok, 'REFER', 11, { extra: ['Refer-To: <sip:mallory@evil.example>'] }), WEATHER_AS));
  t.equal(refer.status, 403);
  t.match(header(refer, 'Warning') ?? '', /dialog\.modify-not-granted/);
  t.equal((await send(controller, inDialogRequest(req, ok, 'INFO', 12), WEATHER_AS)).kind, 'forward');
});

t.test('an early-dialog UPDATE from the AS is policed like a re-INVITE', async (t) => {
  const { controller } = controllerFor(labProfile());
  const req = parseReq(invite({ body: offer({ channels: [WEATHER] }) }));
  const out = forwarded(await send(controller, req, WEATHER_AS)) as SipRequest;
  const ringing = forwarded(await send(controller, responseTo(out, 180, 'Ringing', { contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE)) as SipResponse;
  const update = replied(
    await send(controller, inDialogRequest(req, ringing, 'UPDATE', 11, { body: offer({ channels: [WEATHER, ADS], version: 2 }) }), WEATHER_AS),
  );
  t.equal(update.status, 488, 'its only change was an ungranted DC');
  const granted = forwarded(
    await send(controller, inDialogRequest(req, ringing, 'UPDATE', 12, { body: offer({ channels: [WEATHER], version: 2, audioPort: 40000 }) }), WEATHER_AS),
  ) as SipRequest;
  t.equal(granted.method, 'UPDATE');
  t.equal(granted.uri, 'sip:bob@10.0.0.2', 'sent to the Contact of the early dialog');
  t.match(granted.body, /m=audio 40000/);
});

t.test('an SDP the guard could not read, passed on from a trusted peer, breaks neither its answer nor the next offer', async (t) => {
  const { controller } = controllerFor(labProfile());
  const broken = 'not an SDP at all\r\nm=audio 4000 RTP/AVP 0\r\n';
  const req = parseReq(invite({ body: broken }));
  const out = forwarded(await send(controller, req, CORE)) as SipRequest;
  t.equal(out.body, broken, 'a trusted peer\'s unreadable SDP is passed on (fail closed applies to untrusted peers)');
  const ok = forwarded(await send(controller, responseTo(out, 200, 'OK', { body: offer({ username: 'bob' }), contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE)) as SipResponse;
  t.equal(ok.status, 200, 'the answer to it is relayed');
  forwarded(await send(controller, inDialogRequest(req, ok, 'ACK', 10), CORE));
  const reinvite = await send(controller, inDialogRequest(req, ok, 'INVITE', 11, { body: offer({ channels: [BOOTSTRAP], version: 2 }) }), CORE);
  t.equal(reinvite.kind, 'forward', 'a re-offer compared with the unreadable one still gets a verdict');
});
