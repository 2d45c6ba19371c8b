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
