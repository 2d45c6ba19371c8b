import fc from 'fast-check';
import t from 'tap';
import { INBOUND_ALLOWED_HEADERS, LEG_HEADERS, OUTBOUND_ALLOWED_HEADERS, admitUntrustedHeaders, headerKey, passHeaderSet } from '../../src/privacy/header-allow-list.ts';
import { shieldIdentities } from '../../src/privacy/identity-shield.ts';
import { Pseudonymizer } from '../../src/privacy/pseudonymizer.ts';
import type { IdentityMode } from '../../src/profile/profile-types.ts';
import { canonicalHeaderName } from '../../src/sip/sip-header-names.ts';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { BOOTSTRAP, offer } from '../helpers/sdp-builder.ts';
import { CORE, controllerFor, forwarded, send } from '../helpers/controller-fixture.ts';

/** The identities of one generated call: strings that cannot occur in a message by chance. */
interface Secrets {
  readonly user: string;
  readonly callerNumber: string;
  readonly calleeNumber: string;
  readonly name: string;
  readonly imei: string;
  readonly host: string;
}

const lower = (prefix: string) => fc.stringMatching(/^[a-z]{8}$/).map((s) => `${prefix}${s}`);
const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));

const secretsArb: fc.Arbitrary<Secrets> = fc.record({
  user: lower('usr'),
  callerNumber: digits(9).map((d) => `+44${d}`),
  calleeNumber: digits(9).map((d) => `+33${d}`),
  name: lower('Name'),
  imei: digits(14).map((d) => `35${d}`),
  host: lower('node').map((s) => `${s}.ims.example.net`),
});

/** What must never reach the peer: the numbers without `+` so a re-encoding still counts. */
function needles(s: Secrets): string[] {
  return [s.user, s.callerNumber.slice(1), s.calleeNumber.slice(1), s.name, s.imei, s.host];
}

/**
 * Headers known to carry identity, location or topology (the list and more), in their
 * usual and compact spellings and in odd capitalisation: matched as SIP matches names.
 */
const RISKY_NAMES = [
  'Identity', 'y', 'Identity-Info', 'n', 'Geolocation', 'Geolocation-Routing', 'Accept-Contact', 'a', 'Reject-Contact', 'j',
  'Referred-By', 'b', 'Refer-To', 'r', 'Replaces', 'Target-Dialog', 'P-Visited-Network-ID', 'Reply-To', 'In-Reply-To',
  'Call-Info', 'Alert-Info', 'Error-Info', 'Subject', 's', 'Organization', 'User-Agent', 'Server', 'Warning',
  'Authorization', 'Proxy-Authorization', 'WWW-Authenticate', 'Feature-Caps', 'Session-ID', 'Cellular-Network-Info',
  'P-Associated-URI', 'P-Preferred-Service', 'P-Profile-Key', 'P-Private-Network-Indication', 'Path', 'Service-Route',
  'Resource-Priority', 'Conversation-ID', 'Contribution-ID', 'Content-ID', 'Request-Disposition', 'd',
  'P-Access-Network-Info', 'P-Charging-Vector', 'P-Charging-Function-Addresses', 'P-Asserted-Service',
];

const caseOf = (name: string) =>
  fc.constantFrom(name, name.toLowerCase(), name.toUpperCase()).filter((n) => n.length > 1 || n === name);

const tokenChars = /^[A-Za-z][A-Za-z0-9!%'*+._`~-]{0,14}$/;

/** A header name the guard does not know to be identity-free: risky, X-, or any other token. */
const outboundNameArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...RISKY_NAMES).chain(caseOf),
  fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/).map((s) => `X-${s}`),
  // Any token that is not on the allow-list (a random one that happens to be, say, "Allow"
  // is identity-free by its grammar, which a random value does not respect).
  fc.stringMatching(tokenChars).filter((n) => !OUTBOUND_ALLOWED_HEADERS.has(headerKey(n))),
);

/** A value hiding one of the secrets, in the shapes identities take in SIP. */
function valueArb(s: Secrets): fc.Arbitrary<string> {
  const filler = fc.string({ unit: fc.constantFrom(...'abcXYZ019 ;,=<>"@:.+-_/'.split('')), maxLength: 12 });
  const shapes = fc.constantFrom(
    `<sip:${s.user}@${s.host}>`,
    `"${s.name}" <tel:${s.callerNumber}>`,
    `<tel:${s.calleeNumber}>;verstat=TN-Validation-Passed`,
    `*;+sip.instance="<urn:gsma:imei:${s.imei}>";explicit`,
    `eyJ.${s.callerNumber}.${s.calleeNumber};info=<https://${s.host}/c.cer>`,
    `3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=${s.imei}`,
    `399 ${s.host} "${s.name}"`,
    `Digest username="${s.user}@${s.host}"`,
    s.callerNumber,
  );
  return fc.tuple(filler, shapes, filler).map(([a, b, c]) => `${a}${b}${c}`.trim()).filter((v) => v !== '');
}

function extrasArb(s: Secrets, names: fc.Arbitrary<string>): fc.Arbitrary<Array<[string, string]>> {
  return fc.array(fc.tuple(names, valueArb(s)), { minLength: 1, maxLength: 12 });
}

/** SDP session lines that name the user (RFC 8866 5.2-5.7), any of them, in any order. */
function sdpLinesArb(s: Secrets): fc.Arbitrary<string[]> {
  return fc.shuffledSubarray([
    `s=${s.name} calling`,
    `i=${s.name} ${s.callerNumber}`,
    `u=http://${s.host}/${s.user}`,
    `e=${s.user}@${s.host}`,
    `p=${s.callerNumber}`,
  ]);
}

const caseArb = secretsArb.chain((secrets) =>
  fc.record({
    secrets: fc.constant(secrets),
    extras: extrasArb(secrets, outboundNameArb),
    privacy: fc.constantFrom(null, 'none', 'id', 'user', 'header', 'id;user', 'history'),
    sdpLines: sdpLinesArb(secrets),
  }),
);

/** The offer with the user in `o=` (name and address) and the given session lines after it. */
function offerNaming(s: Secrets, sdpLines: readonly string[]): string {
  const lines = offer({ channels: [BOOTSTRAP], username: s.user }).split('\r\n');
  const origin = lines.findIndex((l) => l.startsWith('o='));
  lines[origin] = `o=${s.user} 2890844526 1 IN IP4 ${s.host}`;
  // s= is mandatory and one: a generated one replaces the builder's.
  const kept = lines.filter((l) => !(l.startsWith('s=') && sdpLines.some((x) => x.startsWith('s='))));
  const at = kept.findIndex((l) => l.startsWith('o=')) + 1;
  return [...kept.slice(0, at), ...sdpLines.filter((l) => l.startsWith('s=')), ...sdpLines.filter((l) => !l.startsWith('s=')), ...kept.slice(at)].join('\r\n');
}

function inviteFrom(s: Secrets, extras: ReadonlyArray<readonly [string, string]>, privacy: string | null, sdpLines: readonly string[] = []): string {
  return [
    `INVITE tel:${s.calleeNumber} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-${s.user}`,
    'Max-Forwards: 70',
    'Route: <sip:127.0.0.10:5060;lr;as=weather-as>, <sip:127.0.0.2:5060;lr;odi=p>',
    `Record-Route: <sip:${s.host};lr>`,
    `From: "${s.name}" <sip:${s.user}@${s.host}>;tag=f1`,
    `To: <tel:${s.calleeNumber}>`,
    `Call-ID: ${s.user}@${s.host}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:${s.user}@${s.host}:5060>;+sip.instance="<urn:gsma:imei:${s.imei}>"`,
    `P-Asserted-Identity: "${s.name}" <sip:${s.user}@${s.host}>, <tel:${s.callerNumber}>`,
    ...extras.map(([name, value]) => `${name}: ${value}`),
    ...(privacy === null ? [] : [`Privacy: ${privacy}`]),
    'Content-Type: application/sdp',
    '',
    offerNaming(s, sdpLines),
  ].join('\r\n');
}

function leakOf(wire: string, secrets: Secrets, skipLine: (line: string) => boolean = () => false): string | null {
  for (const line of wire.split('\r\n')) {
    if (skipLine(line)) {
      continue;
    }
    for (const needle of needles(secrets)) {
      if (line.includes(needle)) {
        return `"${needle}" in: ${line}`;
      }
    }
  }
  return null;
}

for (const mode of ['remove', 'anonymous', 'pseudonym'] as const satisfies readonly IdentityMode[]) {
  t.test(`identity ${mode}: whatever extra headers and SDP session lines the core's INVITE carries, no identity reaches the AS`, async (t) => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ secrets, extras, privacy, sdpLines }) => {
        const { controller } = controllerFor(labProfile({ identity: mode }));
        const toAs = forwarded(await send(controller, inviteFrom(secrets, extras, privacy, sdpLines), CORE));
        const wire = serializeSipMessage(toAs);
        const leak = leakOf(wire, secrets);
        if (leak !== null) {
          throw new Error(`${leak}\n${wire}`);
        }
        const unexpected = toAs.headers.filter((h) => !OUTBOUND_ALLOWED_HEADERS.has(headerKey(h.name)));
        if (unexpected.length > 0) {
          throw new Error(`not on the allow-list: ${unexpected.map((h) => h.name).join(', ')}`);
        }
      }),
      { numRuns: 80 },
    );
    t.pass('property held');
  });
}

/** X- names, some of which the profile passes. */
const passCaseArb = secretsArb.chain((secrets) =>
  fc
    .uniqueArray(fc.stringMatching(/^[A-Za-z0-9]{1,10}$/).map((s) => `X-${s}`), { minLength: 1, maxLength: 6, selector: (n) => n.toLowerCase() })
    .chain((xNames) =>
      fc.record({
        secrets: fc.constant(secrets),
        passed: fc.subarray(xNames),
        extras: extrasArb(secrets, fc.oneof(fc.constantFrom(...xNames), outboundNameArb)),
        mode: fc.constantFrom<IdentityMode>('remove', 'anonymous', 'pseudonym'),
      }),
    ),
);

t.test('pass_headers: identities appear only in the headers the profile lists, and those arrive intact', async (t) => {
  const pseudonymizer = new Pseudonymizer(Buffer.alloc(32, 3));
  fc.assert(
    fc.property(passCaseArb, ({ secrets, passed, extras, mode }) => {
      // Leg headers the guard writes itself carry nothing here: this checks the shield alone.
      const text = inviteFrom(secrets, extras, null)
        .replace(/^Via: .*$/m, 'Via: SIP/2.0/UDP 127.0.0.10:5060;branch=z9hG4bK-g')
        .replace(/^Record-Route: .*\r\n/m, '')
        .replace(/^Call-ID: .*$/m, 'Call-ID: guard-leg')
        .replace(/^Contact: .*$/m, 'Contact: <sip:127.0.0.10:5060>');
      const msg = parseSipMessage(text) as SipRequest;
      const passHeaders = passHeaderSet(passed.map((n) => n.toUpperCase()));
      const outcome = shieldIdentities(msg, { peerId: 'weather-as', mode, pseudonymizer, issued: {}, dialogCreating: true, flow: 'down', passHeaders, sdpSession: { sessionId: '1', address: '192.0.2.99', addrType: 'IP4' } });
      if (!outcome.ok) {
        throw new Error('shield refused');
      }
      const wire = serializeSipMessage(msg);
      const isPassed = (line: string): boolean => {
        const colon = line.indexOf(':');
        return colon > 0 && passHeaders.has(headerKey(line.slice(0, colon)));
      };
      const leak = leakOf(wire, secrets, isPassed);
      if (leak !== null) {
        throw new Error(`${leak}\n${wire}`);
      }
      const expected = extras.filter(([name]) => passHeaders.has(headerKey(name))).map(([name, value]) => `${canonicalHeaderName(name)}: ${value}`);
      const arrived = msg.headers.filter((h) => passHeaders.has(headerKey(h.name))).map((h) => `${h.name}: ${h.value}`);
      if (JSON.stringify(arrived) !== JSON.stringify(expected)) {
        throw new Error(`passed headers changed: ${JSON.stringify(arrived)} != ${JSON.stringify(expected)}`);
      }
    }),
    { numRuns: 200 },
  );
  t.pass('property held');
});

const LEG_KEYS = new Set(LEG_HEADERS.map(headerKey));

/** Names an AS might send: anything at all, with the ones dangerous toward the core weighted in. */
const inboundNameArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .constantFrom(
      'P-Asserted-Identity', 'P-Preferred-Identity', 'P-Charging-Vector', 'P-Charging-Function-Addresses', 'P-Served-User',
      'P-Asserted-Service', 'P-Access-Network-Info', 'Identity', 'y', 'Path', 'Service-Route', 'Privacy', 'P-Early-Media',
      'Answer-Mode', 'Priv-Answer-Mode', 'Replaces', 'Accept-Contact', 'a', 'WWW-Authenticate', 'Proxy-Authenticate',
      'Feature-Caps', 'Resource-Priority', 'Geolocation', 'Refer-To', 'r', 'History-Info', 'Allow', 'Supported', 'k',
    )
    .chain(caseOf),
  fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/).map((s) => `X-${s}`),
  // Not a second From, To, Via or Content-Length: the message must still parse.
  fc.stringMatching(tokenChars).filter((n) => !LEG_KEYS.has(headerKey(n))),
);

/** Must never reach the core from an untrusted peer, whatever else is allowed. */
const NEVER_INBOUND = new Set(
  ['P-Charging-Vector', 'P-Charging-Function-Addresses', 'P-Served-User', 'P-Asserted-Service', 'P-Access-Network-Info', 'Identity', 'Path', 'Service-Route', 'Privacy', 'P-Early-Media'].map(headerKey),
);

t.test('inbound: whatever headers an untrusted peer sends, only allow-listed or passed ones are admitted, and the log names the rest', async (t) => {
  fc.assert(
    fc.property(
      secretsArb.chain((s) => fc.tuple(extrasArb(s, inboundNameArb), fc.subarray(['X-Service-Hint', 'x-a', 'X-B']))),
      ([extras, passed]) => {
        const msg = parseSipMessage(
          [
            'INVITE sip:dcg-abc@pseudonym.invalid SIP/2.0',
            'Via: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-as',
            'Max-Forwards: 60',
            'From: <sip:anonymous@anonymous.invalid>;tag=as1',
            'To: <sip:dcg-abc@pseudonym.invalid>',
            'Call-ID: as-leg',
            'CSeq: 1 INVITE',
            ...extras.map(([name, value]) => `${name}: ${value}`),
            '',
            '',
          ].join('\r\n'),
        );
        const before = msg.headers.map((h) => h.name);
        const passHeaders = passHeaderSet(passed);
        const removed = admitUntrustedHeaders(msg, passHeaders);
        for (const h of msg.headers) {
          const key = headerKey(h.name);
          if (!INBOUND_ALLOWED_HEADERS.has(key) && !passHeaders.has(key)) {
            throw new Error(`${h.name} admitted`);
          }
          if (NEVER_INBOUND.has(key)) {
            throw new Error(`${h.name} reached the core`);
          }
        }
        const left = new Set(msg.headers.map((h) => h.name));
        const gone = [...new Set(before.filter((name) => !left.has(name)).map(canonicalHeaderName))];
        if (JSON.stringify([...removed].sort()) !== JSON.stringify(gone.sort())) {
          throw new Error(`removed ${JSON.stringify(removed)}, expected ${JSON.stringify(gone)}`);
        }
        if (admitUntrustedHeaders(msg, passHeaders).length !== 0) {
          throw new Error('not idempotent');
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('property held');
});
