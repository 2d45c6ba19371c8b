import fc from 'fast-check';
import t from 'tap';
import type { IdentityMode } from '../../src/profile/profile-types.ts';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { BOOTSTRAP, offer } from '../helpers/sdp-builder.ts';
import { CORE, WEATHER_AS, controllerFor, forwarded, header, send } from '../helpers/controller-fixture.ts';

/** One generated call: every identity is a string that cannot occur in a message by chance. */
interface GeneratedCall {
  readonly callerUser: string;
  readonly callerNumber: string;
  readonly callerName: string;
  readonly calleeNumber: string;
  readonly divertedUser: string;
  readonly cell: string;
  readonly icid: string;
  readonly privacy: string | null;
}

const token = (prefix: string) => fc.stringMatching(/^[a-z]{8}$/).map((s) => `${prefix}${s}`);
const number = fc.stringMatching(/^[0-9]{9}$/).map((d) => `+44${d}`);

const callArb: fc.Arbitrary<GeneratedCall> = fc.record({
  callerUser: token('usr'),
  callerNumber: number,
  callerName: token('Name'),
  calleeNumber: number,
  divertedUser: token('div'),
  cell: fc.stringMatching(/^[0-9A-F]{12}$/).map((s) => `CELL${s}`),
  icid: token('icid'),
  privacy: fc.constantFrom(null, 'none', 'id', 'user', 'header', 'id;user', 'history'),
});

function secretsOf(call: GeneratedCall): string[] {
  return [call.callerUser, call.callerNumber.slice(1), call.callerName, call.calleeNumber.slice(1), call.divertedUser, call.cell, call.icid];
}

function inviteFor(call: GeneratedCall): string {
  const body = offer({ channels: [BOOTSTRAP], username: call.callerUser });
  return [
    `INVITE tel:${call.calleeNumber};cpc=ordinary SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-p1',
    'Max-Forwards: 70',
    'Route: <sip:127.0.0.10:5060;lr;as=weather-as>, <sip:127.0.0.2:5060;lr;odi=p>',
    `From: "${call.callerName}" <sip:${call.callerUser}@ims.example.net;cpc=priority>;tag=f1`,
    `To: <tel:${call.calleeNumber}>`,
    `Call-ID: ${call.callerUser}-callid`,
    'CSeq: 1 INVITE',
    `Contact: <sip:${call.callerUser}@10.1.1.1:5060>`,
    `P-Asserted-Identity: "${call.callerName}" <sip:${call.callerUser}@ims.example.net>, <tel:${call.callerNumber};oli=00>`,
    `P-Preferred-Identity: <sip:${call.callerUser}@ims.example.net>`,
    `Remote-Party-ID: "${call.callerName}" <sip:${call.callerUser}@ims.example.net>;party=calling;screen=yes`,
    `History-Info: <sip:${call.divertedUser}@ims.example.net>;index=1, <tel:${call.calleeNumber}>;index=1.1`,
    `Diversion: <sip:${call.divertedUser}@ims.example.net>;reason=unconditional;counter=1`,
    `P-Served-User: <sip:${call.callerUser}@ims.example.net>;sescase=orig;regstate=reg`,
    `P-Called-Party-ID: <tel:${call.calleeNumber}>`,
    `P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=${call.cell}`,
    `P-Charging-Vector: icid-value=${call.icid};orig-ioi=ims.example.net`,
    'P-Charging-Function-Addresses: ccf=192.0.2.1',
    `User-Agent: phone-of-${call.callerUser}`,
    ...(call.privacy === null ? [] : [`Privacy: ${call.privacy}`]),
    'Content-Type: application/sdp',
    '',
    body,
  ].join('\r\n');
}

/** What a well-behaved AS sends back: the request it was given, addressed onward through the guard's token. */
function onwardFromAs(toAs: SipRequest): string {
  const keep = toAs.headers.filter((h) => !['Via', 'Route', 'Call-ID', 'Contact', 'Content-Length', 'Max-Forwards'].includes(h.name));
  const token = /dcg=([^;>]+)/.exec(toAs.headers.filter((h) => h.name === 'Route').map((h) => h.value).join(','))?.[1] ?? '';
  return serializeSipMessage({
    ...toAs,
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-as' },
      { name: 'Max-Forwards', value: '60' },
      { name: 'Route', value: `<sip:127.0.0.10:5060;lr;dcg=${token}>, <sip:127.0.0.2:5060;lr;odi=p>` },
      { name: 'Call-ID', value: 'as-leg' },
      { name: 'Contact', value: '<sip:127.0.0.3:5060>' },
      ...keep,
    ],
  });
}

for (const mode of ['pseudonym', 'anonymous', 'remove'] as const satisfies readonly IdentityMode[]) {
  t.test(`identity: ${mode} - no original identity reaches the AS, and every one comes back`, async (t) => {
    await fc.assert(
      fc.asyncProperty(callArb, async (call) => {
        const { controller } = controllerFor(labProfile({ identity: mode }));
        const original = inviteFor(call);
        const toAs = forwarded(await send(controller, original, CORE)) as SipRequest;
        const sent = serializeSipMessage(toAs);
        for (const secret of secretsOf(call)) {
          if (sent.includes(secret)) {
            throw new Error(`"${secret}" reached the AS:\n${sent}`);
          }
        }
        if (/cpc=|oli=/.test(sent)) {
          throw new Error(`cpc/oli reached the AS:\n${sent}`);
        }
        const back = forwarded(await send(controller, onwardFromAs(toAs), WEATHER_AS)) as SipRequest;
        const restored = serializeSipMessage(back);
        const expectBack = [
          `tel:${call.calleeNumber};cpc=ordinary`,
          `"${call.callerName}" <sip:${call.callerUser}@ims.example.net;cpc=priority>`,
          `<tel:${call.calleeNumber}>`,
          `P-Asserted-Identity: "${call.callerName}" <sip:${call.callerUser}@ims.example.net>, <tel:${call.callerNumber};oli=00>`,
          `History-Info: <sip:${call.divertedUser}@ims.example.net>;index=1`,
          `utran-cell-id-3gpp=${call.cell}`,
          `icid-value=${call.icid}`,
        ];
        for (const expected of expectBack) {
          if (!restored.includes(expected)) {
            throw new Error(`"${expected}" was not restored:\n${restored}`);
          }
        }
        if (back.uri !== `tel:${call.calleeNumber};cpc=ordinary` || header(back, 'To') !== `<tel:${call.calleeNumber}>`) {
          throw new Error(`target not restored: ${back.uri}`);
        }
      }),
      { numRuns: 60 },
    );
    t.pass('property held');
  });
}

t.test('pseudonyms are stable for one peer, differ across peers, and need the key', async (t) => {
  const { Pseudonymizer } = await import('../../src/privacy/pseudonymizer.ts');
  const a = new Pseudonymizer(Buffer.alloc(32, 1));
  const b = new Pseudonymizer(Buffer.alloc(32, 2));
  t.equal(a.uri('tel:+15550001111', 'weather-as'), a.uri('sip:+1-555-000-1111@ims.example.net;user=phone', 'weather-as'), 'one identity, one pseudonym');
  t.not(a.uri('tel:+15550001111', 'weather-as'), a.uri('tel:+15550001111', 'games-as'), 'different per peer');
  t.not(a.uri('tel:+15550001111', 'weather-as'), b.uri('tel:+15550001111', 'weather-as'), 'different per key');
  t.throws(() => new Pseudonymizer(Buffer.alloc(8)), /at least 16 bytes/);
  const { resolvePseudonymKey, MissingPseudonymKeyError } = await import('../../src/privacy/pseudonym-key.ts');
  t.throws(() => resolvePseudonymKey(labProfile(), {}), MissingPseudonymKeyError);
  t.equal(resolvePseudonymKey(labProfile({ identity: 'anonymous' }), {}), null, 'no pseudonym peer, no key needed');
  t.equal(resolvePseudonymKey(labProfile(), { DC_GUARD_PSEUDONYM_KEY: 'ab'.repeat(16) })?.length, 16);
});

t.test('Privacy: session;critical cannot be honoured by a guard without a media relay: 500', async (t) => {
  const { controller } = controllerFor(labProfile());
  const call: GeneratedCall = { callerUser: 'usrx', callerNumber: '+440000', callerName: 'N', calleeNumber: '+441111', divertedUser: 'd', cell: 'C', icid: 'i', privacy: 'session;critical' };
  const outcome = await send(controller, inviteFor(call), CORE);
  t.equal(outcome.kind, 'reply');
  t.equal(outcome.kind === 'reply' ? outcome.response.status : 0, 500);
  t.same(outcome.report.reasons.map((r) => r.code), ['privacy.critical-unsupported']);
});
