import t from 'tap';
import {
  GUARD_OWNED_HEADERS,
  INBOUND_ALLOWED_HEADERS,
  OUTBOUND_ALLOWED_HEADERS,
  admitUntrustedHeaders,
  headerKey,
  passHeaderSet,
} from '../../src/privacy/header-allow-list.ts';
import { captureOriginals, restoreIdentities } from '../../src/privacy/identity-restorer.ts';
import { shieldIdentities, type ShieldContext } from '../../src/privacy/identity-shield.ts';
import { Pseudonymizer } from '../../src/privacy/pseudonymizer.ts';
import type { IdentityMode } from '../../src/profile/profile-types.ts';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { canonicalHeaderName } from '../../src/sip/sip-header-names.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { CORE, WEATHER_AS, controllerFor, forwarded, header, send } from '../helpers/controller-fixture.ts';

/** Headers the shield never knew by name, each carrying an identity or a location (the list). */
const RISKY_OUTBOUND: readonly string[] = [
  'Identity: eyJhbGciOiJFUzI1NiJ9.eyJvcmlnIjp7InRuIjoiNDQ3NzAwOTAwMTIzIn19.sig;info=<https://cert.example.net/a.cer>;alg=ES256',
  'Geolocation: <cid:target123@ims.example.net>',
  'Geolocation-Routing: yes',
  'Accept-Contact: *;+sip.instance="<urn:gsma:imei:35209900-176148-1>";explicit',
  'Reject-Contact: *;+sip.instance="<urn:gsma:imei:35209900-176148-1>"',
  'Referred-By: <sip:alice@ims.example.net>',
  'Refer-To: <sip:bob@ims.example.net>',
  'Replaces: 98asjd8@10.1.1.1;to-tag=1;from-tag=2',
  'P-Visited-Network-ID: "Visited Network Number 1"',
  'Reply-To: Alice <sip:alice@ims.example.net>',
  'Call-Info: <http://ims.example.net/alice/photo.jpg>;purpose=icon',
  'Subject: call from alice',
  'Organization: Alice Ltd',
  'X-Subscriber: +447700900123',
  'x-imsi: 234150999999999',
  'Feature-Caps: *;+g.3gpp.thig-path="<sip:thig.ims.example.net>"',
  'Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000',
  'Server: scscf-7.ims.example.net',
  'Warning: 399 scscf-7.ims.example.net "overload"',
  'Authorization: Digest username="alice@ims.example.net", realm="ims.example.net", nonce="x", uri="sip:ims.example.net", response=""',
  'Cellular-Network-Info: 3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=2340100001A2B3C',
  'Resource-Priority: wps.3',
  'Conversation-ID: f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
  'P-Associated-URI: <sip:alice@ims.example.net>',
  'Path: <sip:pcscf.ims.example.net;lr>',
  'Alert-Info: <http://ims.example.net/alice/ring.wav>',
];

/** Identity-free headers that must survive: the call needs them. */
const KEPT_OUTBOUND: readonly string[] = [
  'Allow: INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, INFO',
  'Supported: 100rel, timer',
  'Session-Expires: 1800;refresher=uac',
  'Min-SE: 90',
  'Accept: application/sdp',
  'P-Early-Media: supported',
  'Recv-Info: g.3gpp.dtmf',
];

function inviteWith(extra: readonly string[]): SipRequest {
  const text = [
    'INVITE tel:+447700900456 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1',
    'Max-Forwards: 70',
    'Route: <sip:127.0.0.10:5060;lr;as=weather-as>, <sip:127.0.0.2:5060;lr;odi=p>',
    'From: "Alice" <sip:alice@ims.example.net>;tag=f1',
    'To: <tel:+447700900456>',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    'Contact: <sip:127.0.0.1:5060>',
    'P-Asserted-Identity: "Alice" <sip:alice@ims.example.net>',
    ...extra,
    '',
    '',
  ].join('\r\n');
  return parseSipMessage(text) as SipRequest;
}

function context(mode: IdentityMode, passHeaders?: ReadonlySet<string>): ShieldContext {
  return {
    peerId: 'weather-as',
    mode,
    pseudonymizer: new Pseudonymizer(Buffer.alloc(32, 7)),
    issued: {},
    dialogCreating: true,
    flow: 'down',
    sdpSession: { sessionId: '1', address: '192.0.2.99', addrType: 'IP4' },
    ...(passHeaders === undefined ? {} : { passHeaders }),
  };
}

/** The lower-cased key of a `Name: value` line. */
const nameOf = (line: string): string => headerKey(line.slice(0, line.indexOf(':')));
/** The name of a `Name: value` line as the parser stores it. */
const parsedName = (line: string): string => canonicalHeaderName(line.slice(0, line.indexOf(':')));

for (const mode of ['remove', 'anonymous', 'pseudonym'] as const) {
  t.test(`shield, identity ${mode}: headers not known to be identity-free are removed, the identity-free ones stay`, async (t) => {
    const msg = inviteWith([...RISKY_OUTBOUND, ...KEPT_OUTBOUND]);
    const outcome = shieldIdentities(msg, context(mode));
    t.ok(outcome.ok);
    const left = new Set(msg.headers.map((h) => headerKey(h.name)));
    t.strictSame(
      RISKY_OUTBOUND.map(nameOf).filter((name) => left.has(name)),
      [],
      'none of the risky headers is left',
    );
    t.strictSame(
      KEPT_OUTBOUND.map(nameOf).filter((name) => !left.has(name)),
      [],
      'every identity-free header is left',
    );
    const wire = serializeSipMessage(msg);
    for (const secret of ['alice', '447700900123', '35209900', '234150999999999', 'scscf-7', 'thig']) {
      t.notOk(wire.includes(secret), `"${secret}" is not on the wire`);
    }
    t.strictSame(
      outcome.ok ? [...outcome.removed].sort() : [],
      RISKY_OUTBOUND.map(parsedName).sort(),
      'the outcome names what the allow-list removed, canonically spelled',
    );
  });
}

t.test('shield, identity pass: the allow-list does not apply', async (t) => {
  const msg = inviteWith(RISKY_OUTBOUND);
  const outcome = shieldIdentities(msg, context('pass'));
  t.strictSame(outcome, { ok: true, removed: [] });
  t.equal(msg.headers.length, inviteWith(RISKY_OUTBOUND).headers.length);
});

t.test('shield: pass_headers let a header through, case-insensitively, and nothing else', async (t) => {
  const msg = inviteWith(['X-Service-Hint: weather', 'X-Other: alice', 'Subject: hello']);
  shieldIdentities(msg, context('anonymous', passHeaderSet(['x-SERVICE-hint', 's'])));
  t.equal(header(msg, 'X-Service-Hint'), 'weather');
  t.equal(header(msg, 'Subject'), 'hello', 'the compact form in the profile names Subject');
  t.equal(header(msg, 'X-Other'), undefined);
});

t.test('shield: a user asking for Privacy: user still loses a header the operator passes (RFC 3323 4.2)', async (t) => {
  const msg = inviteWith(['Subject: from alice', 'Privacy: user']);
  shieldIdentities(msg, context('pseudonym', passHeaderSet(['Subject'])));
  t.equal(header(msg, 'Subject'), undefined);
  t.equal(header(msg, 'Privacy'), undefined);
});

t.test('shield: a response toward an untrusted peer keeps its leg headers', async (t) => {
  const res = parseSipMessage(
    [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-as',
      'From: <sip:anonymous@anonymous.invalid>;tag=a',
      'To: <tel:+447700900456>;tag=b',
      'Call-ID: as-leg',
      'CSeq: 1 INVITE',
      'Contact: <sip:127.0.0.10:5060>',
      'Content-Type: application/sdp',
      'Server: callee-phone-v1',
      'X-Callee: +447700900456',
      '',
      'v=0\r\n',
    ].join('\r\n'),
  ) as SipResponse;
  const outcome = shieldIdentities(res, { ...context('anonymous'), dialogCreating: false });
  t.strictSame(
    res.headers.map((h) => h.name),
    ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Content-Type'],
  );
  t.strictSame(outcome.ok ? outcome.removed : null, ['Server', 'X-Callee']);
});

t.test('through the controller: an INVITE from the core reaches the AS without any of the risky headers', async (t) => {
  for (const mode of ['remove', 'anonymous', 'pseudonym'] as const) {
    const { controller } = controllerFor(labProfile({ identity: mode }));
    const toAs = forwarded(await send(controller, serializeSipMessage(inviteWith([...RISKY_OUTBOUND, ...KEPT_OUTBOUND])), CORE));
    const left = new Set(toAs.headers.map((h) => headerKey(h.name)));
    t.strictSame(
      RISKY_OUTBOUND.map(nameOf).filter((name) => left.has(name)),
      [],
      `${mode}: no risky header reaches the AS`,
    );
    t.strictSame(
      KEPT_OUTBOUND.map(nameOf).filter((name) => !left.has(name)),
      [],
      `${mode}: the identity-free ones do`,
    );
  }
});

// Inbound: what an untrusted AS may put in front of the core.

/** Headers an AS must not be able to put in front of the core. */
const DANGEROUS_INBOUND: readonly string[] = [
  'P-Charging-Vector: icid-value=forged;orig-ioi=as.example.net',
  'P-Charging-Function-Addresses: ccf=192.0.2.99',
  'P-Served-User: <sip:victim@ims.example.net>;sescase=orig;regstate=reg',
  'P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.mmtel',
  'P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=forged',
  'P-Visited-Network-ID: forged.example.net',
  'P-Early-Media: sendrecv',
  'Identity: forged;info=<https://as.example.net/c.cer>',
  'Path: <sip:as.example.net;lr>',
  'Service-Route: <sip:as.example.net;lr>',
  'Privacy: none',
  'Answer-Mode: Auto',
  'Priv-Answer-Mode: Auto',
  'Call-Info: <http://as.example.net/track.png>;purpose=icon',
  'Alert-Info: <http://as.example.net/ring>',
  'WWW-Authenticate: Digest realm="ims.example.net", nonce="x"',
  'Replaces: core-call@10.0.0.1;to-tag=a;from-tag=b',
  'Feature-Caps: *;+g.3gpp.srvcc',
  'Resource-Priority: ets.0',
  'Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"',
  'User-Agent: forged-ua',
  'X-Anything: 1',
  'Geolocation: <sip:as.example.net>',
];

const HARMLESS_INBOUND: readonly string[] = ['Allow: INVITE, ACK, BYE', 'Supported: timer', 'Reason: SIP;cause=200;text="Call completed elsewhere"', 'Warning: 399 as.example.net "busy"', 'Server: weather-as/1.0'];

function fromAs(extra: readonly string[]): SipRequest {
  return parseSipMessage(
    [
      'INVITE sip:dcg-abc@pseudonym.invalid SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-as',
      'Max-Forwards: 60',
      'Route: <sip:127.0.0.10:5060;lr;dcg=t1>',
      'From: <sip:anonymous@anonymous.invalid>;tag=as1',
      'To: <sip:dcg-abc@pseudonym.invalid>',
      'Call-ID: as-leg',
      'CSeq: 1 INVITE',
      'Contact: <sip:127.0.0.3:5060>',
      'P-Asserted-Identity: <sip:forged@ims.example.net>',
      ...extra,
      '',
      '',
    ].join('\r\n'),
  ) as SipRequest;
}

t.test('admitUntrustedHeaders: only harmless headers and what the restorer maps back pass', async (t) => {
  const msg = fromAs([...DANGEROUS_INBOUND, ...HARMLESS_INBOUND]);
  const removed = admitUntrustedHeaders(msg, new Set());
  const left = new Set(msg.headers.map((h) => headerKey(h.name)));
  t.strictSame(
    DANGEROUS_INBOUND.map(nameOf).filter((name) => left.has(name)),
    [],
    'no dangerous header is left',
  );
  t.strictSame(
    HARMLESS_INBOUND.map(nameOf).filter((name) => !left.has(name)),
    [],
    'the harmless ones are left',
  );
  t.ok(left.has('p-asserted-identity'), 'the restorer decides about P-Asserted-Identity (it keeps only identities the guard issued)');
  t.strictSame(
    removed,
    DANGEROUS_INBOUND.map(parsedName),
    'the removed names, once each, in message order',
  );
  t.strictSame(admitUntrustedHeaders(msg, new Set()), [], 'idempotent');
});

t.test('admitUntrustedHeaders: the profile’s pass_headers are admitted too', async (t) => {
  const msg = fromAs(['X-Service-Hint: a', 'x-other: b']);
  t.strictSame(admitUntrustedHeaders(msg, passHeaderSet(['X-SERVICE-HINT'])), ['x-other']);
  t.equal(header(msg, 'X-Service-Hint'), 'a');
});

t.test('admitUntrustedHeaders: a Refer-To passes only without embedded headers (RFC 3515 2.1)', async (t) => {
  const plain = fromAs(['Refer-To: <sip:+447700900789@ims.example.net;user=phone>']);
  t.strictSame(admitUntrustedHeaders(plain, new Set()), []);
  t.equal(header(plain, 'Refer-To'), '<sip:+447700900789@ims.example.net;user=phone>');
  for (const value of [
    '<sip:bob@ims.example.net?P-Asserted-Identity=sip%3Aforged%40ims.example.net>',
    '<sip:bob@ims.example.net?Replaces=call%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>',
    '<sip:bob@ims.example.net',
  ]) {
    const msg = fromAs([`Refer-To: ${value}`]);
    t.strictSame(admitUntrustedHeaders(msg, new Set()), ['Refer-To'], value);
    t.equal(header(msg, 'Refer-To'), undefined);
  }
  const listed = fromAs(['Refer-To: <sip:bob@ims.example.net?Replaces=x>']);
  t.strictSame(admitUntrustedHeaders(listed, passHeaderSet(['Refer-To'])), [], 'an operator who lists Refer-To takes it as it is');
});

t.test('admitUntrustedHeaders before restoreIdentities: the core gets its own charging and location back, never the AS’s', async (t) => {
  const original = inviteWith([
    'P-Charging-Vector: icid-value=real-icid;orig-ioi=ims.example.net',
    'P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=REALCELL',
    'P-Served-User: <sip:alice@ims.example.net>;sescase=orig',
  ]);
  const originals = captureOriginals(original);
  const onward = fromAs(DANGEROUS_INBOUND);
  admitUntrustedHeaders(onward, new Set());
  restoreIdentities(onward, { issued: {}, originals, flow: 'down' });
  const wire = serializeSipMessage(onward);
  t.match(wire, /P-Charging-Vector: icid-value=real-icid/);
  t.match(wire, /utran-cell-id-3gpp=REALCELL/);
  t.match(wire, /P-Served-User: <sip:alice@ims.example.net>;sescase=orig/);
  t.notMatch(wire, /forged|as\.example\.net|victim/);
});

t.test('admitUntrustedHeaders on a response: an AS cannot serve a user or charge a call', async (t) => {
  const res = parseSipMessage(
    [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 127.0.0.10:5060;branch=z9hG4bK-g',
      'From: <sip:anonymous@anonymous.invalid>;tag=g1',
      'To: <sip:dcg-abc@pseudonym.invalid>;tag=as2',
      'Call-ID: as-leg',
      'CSeq: 1 INVITE',
      ...DANGEROUS_INBOUND,
      '',
      '',
    ].join('\r\n'),
  ) as SipResponse;
  admitUntrustedHeaders(res, new Set());
  restoreIdentities(res, { issued: {}, originals: null, flow: 'up' });
  t.strictSame(
    res.headers.map((h) => h.name),
    ['Via', 'From', 'To', 'Call-ID', 'CSeq'],
  );
});

// The lists themselves.

t.test('the allow-lists hold none of the headers that carry identity or power', async (t) => {
  const neverOut = [
    'Identity', 'Identity-Info', 'Geolocation', 'Geolocation-Routing', 'Accept-Contact', 'Reject-Contact', 'Referred-By', 'Refer-To',
    'Replaces', 'Target-Dialog', 'P-Visited-Network-ID', 'Reply-To', 'Call-Info', 'Subject', 'Organization', 'User-Agent', 'Server',
    'Warning', 'Authorization', 'Proxy-Authorization', 'Privacy', 'P-Access-Network-Info', 'P-Charging-Vector',
    'P-Charging-Function-Addresses', 'P-Asserted-Service', 'Session-ID', 'Feature-Caps', 'Path', 'Service-Route',
  ];
  t.strictSame(neverOut.filter((name) => OUTBOUND_ALLOWED_HEADERS.has(headerKey(name))), []);
  const neverIn = [
    'P-Charging-Vector', 'P-Charging-Function-Addresses', 'P-Served-User', 'P-Asserted-Service', 'P-Access-Network-Info', 'Identity',
    'Identity-Info', 'Path', 'Service-Route', 'Privacy', 'P-Early-Media', 'Answer-Mode', 'Priv-Answer-Mode', 'Replaces', 'Target-Dialog',
    'Accept-Contact', 'Reject-Contact', 'WWW-Authenticate', 'Proxy-Authenticate', 'Authorization', 'Geolocation', 'Feature-Caps',
    'User-Agent', 'P-Associated-URI', 'P-Visited-Network-ID', 'Resource-Priority',
  ];
  t.strictSame(neverIn.filter((name) => INBOUND_ALLOWED_HEADERS.has(headerKey(name))), []);
  t.notOk([...OUTBOUND_ALLOWED_HEADERS, ...INBOUND_ALLOWED_HEADERS].some((name) => name.startsWith('x-')), 'no X- header');
});

t.test('every guard-owned name is one the guard handles: listed in an allow-list as its own, or always removed', async (t) => {
  for (const name of GUARD_OWNED_HEADERS.keys()) {
    t.equal(name, name.toLowerCase());
  }
  t.ok(GUARD_OWNED_HEADERS.has('p-asserted-identity') && GUARD_OWNED_HEADERS.has('via') && GUARD_OWNED_HEADERS.has('from'));
});

t.test('the AS’s onward request through the controller still comes back to the core restored', async (t) => {
  // The controller does not call admitUntrustedHeaders yet; this pins that the restorer and
  // the outbound allow-list together still give the core its own identities back.
  const { controller } = controllerFor(labProfile({ identity: 'pseudonym' }));
  const toAs = forwarded(await send(controller, serializeSipMessage(inviteWith(['P-Charging-Vector: icid-value=real'])), CORE)) as SipRequest;
  t.equal(header(toAs, 'P-Charging-Vector'), undefined);
  const token = /dcg=([^;>]+)/.exec(toAs.headers.filter((h) => h.name === 'Route').map((h) => h.value).join(','))?.[1] ?? '';
  const onward = serializeSipMessage({
    ...toAs,
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-as' },
      { name: 'Max-Forwards', value: '60' },
      { name: 'Route', value: `<sip:127.0.0.10:5060;lr;dcg=${token}>, <sip:127.0.0.2:5060;lr;odi=p>` },
      ...toAs.headers.filter((h) => !['Via', 'Route', 'Max-Forwards'].includes(h.name)),
    ],
  });
  const back = forwarded(await send(controller, onward, WEATHER_AS));
  t.equal(header(back, 'P-Charging-Vector'), 'icid-value=real');
  t.match(header(back, 'P-Asserted-Identity') ?? '', /alice@ims\.example\.net/);
});
