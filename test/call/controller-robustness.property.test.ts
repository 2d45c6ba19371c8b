import fc from 'fast-check';
import t from 'tap';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { BOOTSTRAP, offer } from '../helpers/sdp-builder.ts';
import { CALLEE_CORE, CORE, WEATHER_AS, controllerFor, responseTo, send } from '../helpers/controller-fixture.ts';

/** SDP-ish bodies: real offers cut, spliced and sprinkled with junk lines, and arbitrary text. */
const bodyArb = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.tuple(fc.nat({ max: 600 }), fc.nat({ max: 600 }), fc.string({ maxLength: 40 })).map(([a, b, junk]) => {
    const text = offer({ channels: [BOOTSTRAP, { stream: 1000, sub: 'x', app: 'com.example.weather' }] });
    return text.slice(0, Math.min(a, b)) + junk + text.slice(Math.max(a, b));
  }),
  fc.array(fc.constantFrom('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'm=audio 0 RTP/AVP 0', 'a=dcmap:1000 label="x"', 'a=dcmap:0 subprotocol="http"', 'a=3gpp-req-app:x', 'b=AS:99999999999999999999', 'a=dcmap:x', 'c=IN IP6 ::1', ''), { maxLength: 20 }).map((lines) => lines.join('\r\n')),
);

function inviteWith(body: string, n: number): string {
  return [
    'INVITE sip:bob@ims.example.net SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-r${n}`,
    'Max-Forwards: 70',
    `From: <sip:alice@ims.example.net>;tag=r${n}`,
    'To: <sip:bob@ims.example.net>',
    `Call-ID: robust-${n}`,
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@10.0.0.1>',
    'Content-Type: application/sdp',
    '',
    body,
  ].join('\r\n');
}

t.test('whatever SDP a peer sends, in an offer or its answer, the controller answers or forwards and never throws', async (t) => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(bodyArb, bodyArb, fc.boolean(), async (offerBody, answerBody, fromAs) => {
      n += 1;
      const { controller } = controllerFor(labProfile());
      const outcome = await send(controller, inviteWith(offerBody, n), fromAs ? WEATHER_AS : CORE);
      if (outcome.kind !== 'forward') {
        return;
      }
      const out = outcome.message as SipRequest;
      const back = await send(controller, responseTo(out, 200, 'OK', { body: answerBody, contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE);
      if (back.kind !== 'forward') {
        throw new Error(`the answer was not relayed: ${JSON.stringify(back.report)}`);
      }
    }),
    { numRuns: 300 },
  );
  t.pass('no exception for any body');
});

t.test('whatever SDP an AS re-offers in an established call, the controller answers or forwards and never throws', async (t) => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(bodyArb, async (reofferBody) => {
      n += 1;
      const { controller } = controllerFor(labProfile());
      const first = inviteWith(offer({ channels: [{ stream: 1000, sub: 'x', app: 'com.example.weather' }] }), n);
      const outcome = await send(controller, first, WEATHER_AS);
      if (outcome.kind !== 'forward') {
        throw new Error('the first INVITE should pass');
      }
      const out = outcome.message as SipRequest;
      const ok = await send(controller, responseTo(out, 200, 'OK', { body: offer({ username: 'bob' }), contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE);
      if (ok.kind !== 'forward' || ok.message.kind !== 'response') {
        throw new Error('the answer should be relayed');
      }
      const toTag = /;tag=([^;>\s]+)/.exec(ok.message.headers.find((h) => h.name === 'To')?.value ?? '')?.[1] ?? '';
      const reinvite = first
        .replace('INVITE sip:bob@ims.example.net SIP/2.0', 'INVITE sip:guard@127.0.0.10 SIP/2.0')
        .replace('To: <sip:bob@ims.example.net>', `To: <sip:bob@ims.example.net>;tag=${toTag}`)
        .replace('CSeq: 1 INVITE', 'CSeq: 2 INVITE')
        .replace(/branch=z9hG4bK-r\d+/, `branch=z9hG4bK-re${n}`)
        .replace(/\r\n\r\n[\s\S]*$/, `\r\n\r\n${reofferBody}`);
      const again = await send(controller, reinvite, WEATHER_AS);
      if (again.kind === 'drop') {
        throw new Error(`a re-INVITE was dropped: ${JSON.stringify(again.report)}`);
      }
    }),
    { numRuns: 200 },
  );
  t.pass('no exception for any re-offer');
});
