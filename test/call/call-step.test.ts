/**
 * `step` (src/call/call-step.ts) as a table: (state, message, sender, facts) -> (outcome, reasons,
 * next state, charge), with no controller, no sockets and no store. Every state a row starts from
 * is built by stepping messages (never written by hand) and deep-frozen, so a step that changed
 * its input in place would throw instead of passing.
 */
import t, { type Test } from 'tap';
import type { Inbound } from '../../src/call/call-controller.ts';
import type { StepResult } from '../../src/call/step-context.ts';
import type { WouldHave } from '../../src/policy/verdict.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import type { SipMessage } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { CallState } from '../../src/state/call-state.ts';
import { CALLEE_CORE, CORE, GAMES_AS, WEATHER_AS, asRequest, header, headers, inDialogRequest, responseTo, coreInvite as invite } from '../helpers/controller-fixture.ts';
import { labProfileYaml } from '../helpers/profile-fixture.ts';
import { ADS, BOOTSTRAP, WEATHER, offer } from '../helpers/sdp-builder.ts';
import { StepWorld, sent, type FactsOverride, type PreparedStep } from '../helpers/step-fixture.ts';

const STRANGER: Inbound = { address: '127.0.0.77', port: 5060, transport: 'udp' };

/** The lab profile (test/helpers/profile-fixture.ts) with some of its YAML lines rewritten. */
function profileWith(...edits: readonly (readonly [string, string])[]): Profile {
  let yaml = labProfileYaml();
  for (const [from, to] of edits) {
    if (!yaml.includes(from)) {
      throw new Error(`the lab profile has no "${from}"`);
    }
    yaml = yaml.replace(from, to);
  }
  return parseProfile(yaml, 'step-lab.yaml');
}

const ENFORCE = profileWith();
const REJECT_DC = profileWith(['on_unauthorized_dc: strip', 'on_unauthorized_dc: reject']);
const MONITOR = profileWith(['mode: enforce', 'mode: monitor']);
const MONITOR_REJECT_DC = profileWith(['mode: enforce', 'mode: monitor'], ['on_unauthorized_dc: strip', 'on_unauthorized_dc: reject']);
const UNKNOWN_UNTRUSTED = profileWith(['unknown_peers: reject', 'unknown_peers: untrusted']);
/** weather-as (its grants end with `terminate: false`; games-as's with `true`) gets a rate and a call cap. */
const LIMITED = profileWith(['      terminate: false\n', '      terminate: false\n    limits:\n      requests_per_second: 1\n      burst: 1\n      concurrent_calls: 1\n']);

t.test('the profiles the table runs under say what the rows assume', async (t) => {
  t.equal(MONITOR.guard.mode, 'monitor');
  t.equal(REJECT_DC.guard.onUnauthorizedDc, 'reject');
  t.equal(MONITOR_REJECT_DC.guard.mode, 'monitor');
  t.equal(MONITOR_REJECT_DC.guard.onUnauthorizedDc, 'reject');
  t.equal(ENFORCE.guard.unknownPeers, 'reject');
  t.equal(UNKNOWN_UNTRUSTED.guard.unknownPeers, 'untrusted');
  t.same(LIMITED.peers.find((p) => p.id === 'weather-as')?.limits, { requestsPerSecond: 1, burst: 1, concurrentCalls: 1 });
  t.same(ENFORCE.peers.find((p) => p.id === 'weather-as')?.limits, { requestsPerSecond: null, burst: null, concurrentCalls: null });
  t.same(ENFORCE.peers.find((p) => p.id === 'core')?.limits, { requestsPerSecond: null, burst: null, concurrentCalls: null });
});

function cancelOf(inviteText: string): string {
  return inviteText.replace(/^INVITE/, 'CANCEL').replace('CSeq: 10 INVITE', 'CSeq: 10 CANCEL').replace(/Content-Type[\s\S]*$/, '\r\n');
}

/** Messages captured while a row's state was built, for the row's own message to address. */
type Scene = Readonly<Record<string, SipMessage>>;
/** A row's starting point: steps run in the world, returning what the row's message needs. */
type Given = (w: StepWorld) => Scene;

const nothing: Given = () => ({});

/** The core calls tel:+15550002222 (bootstrap DC only); the INVITE is on its way to the callee core. */
const coreCallEarly: Given = (w) => {
  const req = parseSipMessage(invite());
  return { req, out: sent(w.send(req, CORE).outcome) };
};

/** The same call answered by the callee core (200 relayed to the caller, ACK not yet sent). */
const coreCallAnswered: Given = (w) => {
  const { req, out } = coreCallEarly(w) as { req: SipMessage; out: SipMessage };
  const ok = sent(w.send(responseTo(out, 200, 'OK', { body: offer({ username: 'bob' }), contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE).outcome);
  return { req, out, ok };
};

/** weather-as calls the callee core with its granted weather channel; answered and ACKed. */
const asCallConfirmed: Given = (w) => {
  const req = parseSipMessage(invite({ body: offer({ channels: [WEATHER] }), via: '127.0.0.3' }));
  const out = sent(w.send(req, WEATHER_AS).outcome);
  const ok = sent(w.send(responseTo(out, 200, 'OK', { body: offer({ channels: [WEATHER], username: 'bob' }), contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE).outcome);
  sent(w.send(inDialogRequest(asRequest(req), asResponse(ok), 'ACK', 10), WEATHER_AS).outcome);
  return { req, out, ok };
};

/** The core hands a call to weather-as (`;as=weather-as`): the INVITE toward the AS carries the guard's route token. */
const handedToWeather: Given = (w) => {
  const req = parseSipMessage(invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>', '<sip:127.0.0.2:5060;lr;odi=xyz>'] }));
  return { req, out: sent(w.send(req, CORE).outcome) };
};

function asResponse(m: SipMessage) {
  if (m.kind !== 'response') {
    throw new Error('not a response');
  }
  return m;
}

function scene(s: Scene, name: string): SipMessage {
  const m = s[name];
  if (m === undefined) {
    throw new Error(`the scene has no ${name}`);
  }
  return m;
}

/** The AS's onward INVITE back through the guard, with the route token it was handed. */
function onwardFromAs(s: Scene): string {
  const toAs = scene(s, 'out');
  const tokenRoute = headers(toAs, 'Route').find((r) => r.includes(';dcg='));
  if (tokenRoute === undefined) {
    throw new Error('the INVITE toward the AS carries no route token');
  }
  return [
    `INVITE ${asRequest(toAs).uri} SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-as-1',
    'Max-Forwards: 68',
    `Route: ${tokenRoute}, <sip:127.0.0.2:5060;lr;odi=xyz>`,
    `From: ${header(toAs, 'From')?.replace(/;tag=.*/, '') ?? ''};tag=as-tag`,
    `To: ${header(toAs, 'To') ?? ''}`,
    'Call-ID: as-call-1',
    'CSeq: 1 INVITE',
    'Contact: <sip:127.0.0.3:5060>',
    'Content-Type: application/sdp',
    '',
    toAs.body,
  ].join('\r\n');
}

function inDialog(method: string, cseq: number, opts: Parameters<typeof inDialogRequest>[4] = {}): (s: Scene) => string {
  return (s) => inDialogRequest(asRequest(scene(s, 'req')), asResponse(scene(s, 'ok')), method, cseq, opts);
}

const UNGRANTED_OFFER = offer({ channels: [WEATHER, ADS] });

interface Expect {
  readonly kind: 'forward' | 'reply' | 'drop';
  /** The status of the reply (and of the report); null for a forward or drop. */
  readonly status: number | null;
  /** Reason codes of the report, in order. */
  readonly reasons: readonly string[];
  /** `unchanged`: there was a call and next is that very object; `new`: a new state; `none`: no call before or after. */
  readonly next: 'unchanged' | 'new' | 'none';
  /** Id of the peer whose rate bucket is charged, or null. */
  readonly charge: string | null;
  readonly wouldHave?: WouldHave | null;
  readonly initiator?: string | null;
}

interface Row {
  readonly name: string;
  readonly profile: Profile;
  readonly given: Given;
  readonly message: (s: Scene) => string;
  readonly from: Inbound;
  readonly facts?: FactsOverride;
  readonly expect: Expect;
  /** What else the row says about the message that goes out. */
  readonly check?: (t: Test, result: StepResult, s: Scene, prepared: PreparedStep) => void;
  /** A known defect of src: the row states the right behaviour and is expected to fail until src is fixed. */
  readonly todo?: string;
}

const ROWS: readonly Row[] = [
  // --- new calls ---
  {
    name: 'a new call from the core is forwarded toward next_hop untouched',
    profile: ENFORCE,
    given: nothing,
    message: () => invite(),
    from: CORE,
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: null, wouldHave: null, initiator: 'core' },
    check: (t, r) => {
      const out = sent(r.outcome);
      t.equal(out.body, offer({ channels: [BOOTSTRAP] }), 'the trusted offer goes on byte-identical');
      t.same(r.outcome.kind === 'forward' ? r.outcome.to : null, { peerId: 'core', uri: 'sip:127.0.0.2:5060' });
      t.equal(header(out, 'Max-Forwards'), '69');
      t.equal(r.index.length, 3, 'found by its upstream leg, its early CANCEL key and its downstream leg');
      t.equal(r.next?.hops.length, 1);
      t.equal(r.next?.hops[0]?.phase, 'early');
    },
  },
  {
    name: 'an untrusted AS INVITE with an ungranted app channel: the channel is stripped, the call forwarded',
    profile: ENFORCE,
    given: nothing,
    message: () => invite({ body: UNGRANTED_OFFER, via: '127.0.0.3' }),
    from: WEATHER_AS,
    expect: { kind: 'forward', status: null, reasons: ['dc.app-not-granted'], next: 'new', charge: null, wouldHave: null, initiator: 'weather-as' },
    check: (t, r) => {
      const out = sent(r.outcome);
      t.same(readSdp(out.body).dcMedia[0]?.channels.map((c) => c.streamId), [1000], 'the granted weather channel stays, ads goes');
      t.equal(header(out, 'P-Asserted-Identity'), undefined, 'an untrusted peer asserts no identity');
    },
  },
  {
    name: 'on_unauthorized_dc: reject: the same INVITE is refused 403 and no call is made',
    profile: REJECT_DC,
    given: nothing,
    message: () => invite({ body: UNGRANTED_OFFER, via: '127.0.0.3' }),
    from: WEATHER_AS,
    expect: { kind: 'reply', status: 403, reasons: ['dc.app-not-granted'], next: 'none', charge: null, initiator: 'weather-as' },
  },
  {
    name: 'a peer the profile does not know is refused 403 under unknown_peers: reject',
    profile: ENFORCE,
    given: nothing,
    message: () => invite({ via: '127.0.0.77' }),
    from: STRANGER,
    expect: { kind: 'reply', status: 403, reasons: ['peer.unknown'], next: 'none', charge: null, initiator: null },
  },
  {
    name: 'the same stranger under unknown_peers: untrusted is let in as an untrusted peer with no grants',
    profile: UNKNOWN_UNTRUSTED,
    given: nothing,
    message: () => invite({ via: '127.0.0.77' }),
    from: STRANGER,
    expect: { kind: 'forward', status: null, reasons: ['dc.cap-bandwidth'], next: 'new', charge: null, initiator: 'unknown:127.0.0.77' },
    check: (t, r) => t.equal(readSdp(sent(r.outcome).body).dcMedia[0]?.port, 0, 'no grants: a bandwidth cap of 0 refuses its DC m-line whole'),
  },
  {
    name: 'Max-Forwards: 0 is answered 483',
    profile: ENFORCE,
    given: nothing,
    message: () => invite({ maxForwards: 0 }),
    from: CORE,
    expect: { kind: 'reply', status: 483, reasons: [], next: 'none', charge: null, initiator: null },
  },
  {
    name: 'Max-Forwards: 1 is still forwarded, with 0 left',
    profile: ENFORCE,
    given: nothing,
    message: () => invite({ maxForwards: 1 }),
    from: CORE,
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: null, initiator: 'core' },
    check: (t, r) => t.equal(header(sent(r.outcome), 'Max-Forwards'), '0'),
  },
  {
    name: 'a Require of an extension the guard does not support is answered 420 with Unsupported',
    profile: ENFORCE,
    given: nothing,
    message: () => invite({ extra: ['Require: x-frobnicate'] }),
    from: CORE,
    expect: { kind: 'reply', status: 420, reasons: ['sip.extension-unsupported'], next: 'none', charge: null, initiator: null },
    check: (t, r) => t.equal(r.outcome.kind === 'reply' ? header(r.outcome.response, 'Unsupported') : null, 'x-frobnicate'),
  },
  {
    name: 'Require: 100rel is supported and the INVITE goes on',
    profile: ENFORCE,
    given: nothing,
    message: () => invite({ extra: ['Require: 100rel'] }),
    from: CORE,
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: null, initiator: 'core' },
  },
  // --- peer limits ---
  {
    name: 'a rate-limited peer with an empty bucket: 503 peer.rate-limited, no call, nothing charged',
    profile: LIMITED,
    given: nothing,
    message: () => invite({ body: offer({ channels: [WEATHER] }), via: '127.0.0.3' }),
    from: WEATHER_AS,
    facts: { tokenAvailable: () => false },
    expect: { kind: 'reply', status: 503, reasons: ['peer.rate-limited'], next: 'none', charge: null, initiator: null },
    check: (t, r) => t.equal(r.outcome.kind === 'reply' ? header(r.outcome.response, 'Retry-After') : null, '1'),
  },
  {
    name: 'a rate-limited peer with a token: forwarded and its bucket charged',
    profile: LIMITED,
    given: nothing,
    message: () => invite({ body: offer({ channels: [WEATHER] }), via: '127.0.0.3' }),
    from: WEATHER_AS,
    facts: { tokenAvailable: () => true },
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: 'weather-as', initiator: 'weather-as' },
  },
  {
    name: 'a peer without a rate limit is neither refused nor charged, whatever the bucket says',
    profile: LIMITED,
    given: nothing,
    message: () => invite(),
    from: CORE,
    facts: { tokenAvailable: () => false },
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: null, initiator: 'core' },
  },
  {
    name: 'an in-dialog INFO of a rate-limited AS with an empty bucket: 503 and the call as it was',
    profile: LIMITED,
    given: asCallConfirmed,
    message: inDialog('INFO', 11),
    from: WEATHER_AS,
    facts: { tokenAvailable: () => false },
    expect: { kind: 'reply', status: 503, reasons: ['peer.rate-limited'], next: 'unchanged', charge: null, initiator: 'weather-as' },
  },
  {
    name: 'the same INFO with a token: forwarded and charged',
    profile: LIMITED,
    given: asCallConfirmed,
    message: inDialog('INFO', 11),
    from: WEATHER_AS,
    facts: { tokenAvailable: () => true },
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: 'weather-as', initiator: 'weather-as' },
  },
  {
    name: 'concurrent_calls reached by the sender: 503 peer.concurrent-calls (the request still took its rate token)',
    profile: LIMITED,
    given: nothing,
    message: () => invite({ body: offer({ channels: [WEATHER] }), via: '127.0.0.3' }),
    from: WEATHER_AS,
    facts: { liveCalls: new Map([['weather-as', 1]]) },
    expect: { kind: 'reply', status: 503, reasons: ['peer.concurrent-calls'], next: 'none', charge: 'weather-as', initiator: null },
    check: (t, r) => t.equal(r.outcome.kind === 'reply' ? header(r.outcome.response, 'Retry-After') : null, '5'),
  },
  {
    name: 'concurrent_calls not yet reached: forwarded',
    profile: LIMITED,
    given: nothing,
    message: () => invite({ body: offer({ channels: [WEATHER] }), via: '127.0.0.3' }),
    from: WEATHER_AS,
    facts: { liveCalls: new Map([['weather-as', 0]]) },
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: 'weather-as', initiator: 'weather-as' },
  },
  {
    name: 'concurrent_calls reached by the AS a core call is handed to: 503 peer.concurrent-calls',
    profile: LIMITED,
    given: nothing,
    message: () => invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>'] }),
    from: CORE,
    facts: { liveCalls: new Map([['weather-as', 1]]) },
    expect: { kind: 'reply', status: 503, reasons: ['peer.concurrent-calls'], next: 'none', charge: null, initiator: null },
  },
  // --- who may use a dialog ---
  {
    name: 'a BYE on weather-as\'s dialog from games-as: 403 dialog.wrong-peer, the call as it was',
    profile: ENFORCE,
    given: asCallConfirmed,
    message: inDialog('BYE', 11),
    from: GAMES_AS,
    expect: { kind: 'reply', status: 403, reasons: ['dialog.wrong-peer'], next: 'unchanged', charge: null, initiator: null },
  },
  {
    name: 'the core\'s BYE on its own dialog is forwarded',
    profile: ENFORCE,
    given: coreCallAnswered,
    message: inDialog('BYE', 11),
    from: CORE,
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: null, initiator: 'core' },
  },
  {
    name: 'a 200 for the callee leg from games-as: dropped as dialog.wrong-peer, the call as it was',
    profile: ENFORCE,
    given: coreCallEarly,
    message: (s) => responseTo(scene(s, 'out'), 200, 'OK', { body: offer({ username: 'mallory' }), contact: '<sip:127.0.0.4:5060>' }),
    from: GAMES_AS,
    expect: { kind: 'drop', status: null, reasons: ['dialog.wrong-peer'], next: 'unchanged', charge: null, initiator: null },
  },
  {
    name: 'the callee core\'s own 200 confirms the hop',
    profile: ENFORCE,
    given: coreCallEarly,
    message: (s) => responseTo(scene(s, 'out'), 200, 'OK', { body: offer({ username: 'bob' }), contact: '<sip:bob@10.0.0.2>' }),
    from: CALLEE_CORE,
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: null, initiator: 'core' },
    check: (t, r) => t.equal(r.next?.hops[0]?.phase, 'confirmed'),
  },
  {
    name: 'a CANCEL of the core\'s INVITE from games-as: 403 dialog.wrong-peer',
    profile: ENFORCE,
    given: coreCallEarly,
    message: () => cancelOf(invite()),
    from: GAMES_AS,
    expect: { kind: 'reply', status: 403, reasons: ['dialog.wrong-peer'], next: 'unchanged', charge: null, initiator: null },
  },
  {
    name: 'the core\'s own CANCEL is relayed downstream, and changes no state',
    profile: ENFORCE,
    given: coreCallEarly,
    message: () => cancelOf(invite()),
    from: CORE,
    expect: { kind: 'forward', status: null, reasons: [], next: 'unchanged', charge: null, initiator: 'core' },
    check: (t, r, s) => {
      const down = sent(r.outcome);
      t.equal(asRequest(down).method, 'CANCEL');
      t.equal(header(down, 'Via'), header(scene(s, 'out'), 'Via'), 'the INVITE\'s branch');
    },
  },
  {
    name: 'an ACK naming another CSeq than the INVITE it would acknowledge: dropped as dialog.wrong-peer',
    profile: ENFORCE,
    given: coreCallAnswered,
    message: inDialog('ACK', 11),
    from: CORE,
    expect: { kind: 'drop', status: null, reasons: ['dialog.wrong-peer'], next: 'unchanged', charge: null, initiator: null },
  },
  {
    name: 'the ACK with the INVITE\'s CSeq is forwarded',
    profile: ENFORCE,
    given: coreCallAnswered,
    message: inDialog('ACK', 10),
    from: CORE,
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: null, initiator: 'core' },
    check: (t, r) => t.match(header(sent(r.outcome), 'CSeq') ?? '', /^1 ACK$/),
  },
  {
    name: 'a BYE of weather-as, which has no terminate grant: 403 dialog.terminate-not-granted, the call as it was',
    profile: ENFORCE,
    given: asCallConfirmed,
    message: inDialog('BYE', 11),
    from: WEATHER_AS,
    expect: { kind: 'reply', status: 403, reasons: ['dialog.terminate-not-granted'], next: 'unchanged', charge: null, initiator: 'weather-as' },
  },
  {
    name: 'a route token handed to weather-as, brought back by games-as: 403 dialog.unknown',
    profile: ENFORCE,
    given: handedToWeather,
    message: onwardFromAs,
    from: GAMES_AS,
    expect: { kind: 'reply', status: 403, reasons: ['dialog.unknown'], next: 'unchanged', charge: null, initiator: null },
  },
  {
    name: 'the same token brought back by weather-as: its onward INVITE is a second hop of the call',
    profile: ENFORCE,
    given: handedToWeather,
    message: onwardFromAs,
    from: WEATHER_AS,
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: null, initiator: 'weather-as' },
    check: (t, r) => {
      t.equal(r.next?.hops.length, 2);
      t.equal(r.next?.hops[1]?.linkedHop, 0);
      t.equal(asRequest(sent(r.outcome)).uri, 'tel:+15550002222', 'the pseudonym Request-URI mapped back');
    },
  },
  // --- the initiator header ---
  {
    name: 'the initiator header from an untrusted AS is ignored, and removed',
    profile: ENFORCE,
    given: nothing,
    message: () => invite({ body: offer({ channels: [WEATHER] }), via: '127.0.0.3', extra: ['P-DC-Initiator: core'] }),
    from: WEATHER_AS,
    expect: { kind: 'forward', status: null, reasons: ['initiator.ignored'], next: 'new', charge: null, initiator: 'weather-as' },
    check: (t, r) => t.equal(header(sent(r.outcome), 'P-DC-Initiator'), undefined),
  },
  {
    name: 'the initiator header from the core: the offer is policed with the named AS\'s grants',
    profile: ENFORCE,
    given: nothing,
    message: () => invite({ body: UNGRANTED_OFFER, extra: ['P-DC-Initiator: weather-as'] }),
    from: CORE,
    expect: { kind: 'forward', status: null, reasons: ['dc.app-not-granted'], next: 'new', charge: null, initiator: 'weather-as' },
    check: (t, r) => t.equal(header(sent(r.outcome), 'P-DC-Initiator'), undefined),
  },
  // --- monitor mode ---
  {
    name: 'monitor mode: the ungranted channel goes on unchanged, the reason reported, wouldHave the strip',
    profile: MONITOR,
    given: nothing,
    message: () => invite({ body: UNGRANTED_OFFER, via: '127.0.0.3' }),
    from: WEATHER_AS,
    expect: {
      kind: 'forward',
      status: null,
      reasons: ['dc.app-not-granted'],
      next: 'new',
      charge: null,
      wouldHave: { action: 'forward', status: null, sdpChanged: true },
      initiator: 'weather-as',
    },
    check: (t, r) => t.equal(sent(r.outcome).body, UNGRANTED_OFFER, 'SDP byte-identical'),
  },
  {
    name: 'monitor mode with on_unauthorized_dc: reject: forwarded unchanged, wouldHave the 403',
    profile: MONITOR_REJECT_DC,
    given: nothing,
    message: () => invite({ body: UNGRANTED_OFFER, via: '127.0.0.3' }),
    from: WEATHER_AS,
    expect: {
      kind: 'forward',
      status: null,
      reasons: ['dc.app-not-granted'],
      next: 'new',
      charge: null,
      // Enforce would have refused the INVITE, not sent a changed SDP on.
      wouldHave: { action: 'reject', status: 403, sdpChanged: false },
      initiator: 'weather-as',
    },
    check: (t, r) => t.equal(sent(r.outcome).body, UNGRANTED_OFFER, 'SDP byte-identical'),
  },
  {
    name: 'monitor mode: a granted offer is forwarded with nothing enforce would have done otherwise',
    profile: MONITOR,
    given: nothing,
    message: () => invite({ body: offer({ channels: [WEATHER] }), via: '127.0.0.3' }),
    from: WEATHER_AS,
    expect: { kind: 'forward', status: null, reasons: [], next: 'new', charge: null, wouldHave: null, initiator: 'weather-as' },
  },
  {
    name: 'monitor mode: the AS BYE without terminate grant is forwarded, wouldHave the 403',
    profile: MONITOR,
    given: asCallConfirmed,
    message: inDialog('BYE', 11),
    from: WEATHER_AS,
    expect: {
      kind: 'forward',
      status: null,
      reasons: ['dialog.terminate-not-granted'],
      next: 'new',
      charge: null,
      wouldHave: { action: 'reject', status: 403, sdpChanged: false },
      initiator: 'weather-as',
    },
    check: (t, r) => t.equal(asRequest(sent(r.outcome)).method, 'BYE'),
  },
  {
    name: 'monitor mode does not cover who may use a dialog: games-as\'s BYE is still refused',
    profile: MONITOR,
    given: asCallConfirmed,
    message: inDialog('BYE', 11),
    from: GAMES_AS,
    expect: { kind: 'reply', status: 403, reasons: ['dialog.wrong-peer'], next: 'unchanged', charge: null, wouldHave: null, initiator: null },
  },
];

const ACTION_OF = { forward: 'forward', reply: 'reject', drop: 'drop' } as const;

for (const row of ROWS) {
  t.test(row.name, row.todo === undefined ? {} : { todo: row.todo }, async (t) => {
    const w = new StepWorld(row.profile);
    const s = row.given(w);
    const prepared = w.prepare(row.message(s), row.from, row.facts);
    const before: CallState | null = prepared.located?.call ?? null;
    t.equal(before === null || Object.isFrozen(before.hops[0]?.upstream), true, 'the state stepped from is deep-frozen');
    const snapshot = JSON.stringify(before);
    const result = w.run(prepared);
    const { outcome } = result;

    t.equal(outcome.kind, row.expect.kind, 'outcome kind');
    t.equal(outcome.report.action, ACTION_OF[row.expect.kind], 'report action');
    t.equal(outcome.report.status, row.expect.status, 'report status');
    t.equal(outcome.kind === 'reply' ? outcome.response.status : null, row.expect.kind === 'reply' ? row.expect.status : null, 'reply status');
    t.same(
      outcome.report.reasons.map((r) => r.code),
      row.expect.reasons,
      'reason codes',
    );
    t.same(outcome.report.wouldHave, row.expect.wouldHave ?? null, 'wouldHave');
    if (row.expect.initiator !== undefined) {
      t.equal(outcome.report.initiator, row.expect.initiator, 'initiator');
    }
    t.equal(result.charge?.id ?? null, row.expect.charge, 'charge');
    if (outcome.kind === 'reply') {
      const warning = header(outcome.response, 'Warning');
      t.equal(warning ?? null, row.expect.reasons.length === 0 ? null : `399 127.0.0.10 "${row.expect.reasons.join(' ')}"`, 'Warning lists the reasons');
    }

    switch (row.expect.next) {
      case 'unchanged':
        t.not(before, null, 'there was a call');
        t.equal(result.next, before, 'next is the input state itself');
        t.same(result.index, [], 'no new store keys');
        break;
      case 'none':
        t.equal(before, null, 'there was no call');
        t.equal(result.next, null, 'and there is none');
        t.same(result.index, [], 'no store keys');
        break;
      case 'new':
        t.not(result.next, null, 'a next state');
        t.not(result.next, before, 'a new object');
        if (before !== null) {
          t.equal(result.next?.id, before.id, 'of the same call');
        }
        break;
    }
    t.equal(JSON.stringify(before), snapshot, 'the input state is as it was');
    row.check?.(t, result, s, prepared);
  });
}

t.test('the fixture: states handed to a step are frozen all the way down', async (t) => {
  const w = new StepWorld(ENFORCE);
  coreCallEarly(w);
  const prepared = w.prepare(cancelOf(invite()), CORE);
  const call = prepared.located?.call;
  if (call === undefined) {
    t.fail('the CANCEL located no call');
    return;
  }
  t.throws(() => {
    (call.hops[0] as { phase: string }).phase = 'ended';
  }, TypeError);
  t.throws(() => {
    (call.hops[0]?.upstream as { localCseq: number }).localCseq = 99;
  }, TypeError);
  t.throws(() => {
    (call.hops[0]?.transactions as Record<string, unknown>)['x'] = 1;
  }, TypeError);
  t.equal(call.hops[0]?.phase, 'early');
});

t.test('a refused message leaves the call to the next one: the AS\'s refused BYE, then the callee\'s BYE', async (t) => {
  const w = new StepWorld(ENFORCE);
  const s = asCallConfirmed(w);
  const refused = w.send(inDialog('BYE', 11)(s), WEATHER_AS);
  t.equal(refused.outcome.kind, 'reply');
  const out = asRequest(scene(s, 'out'));
  const calleeView = parseSipMessage(responseTo(out, 200, 'OK'));
  const calleeBye = w.send(inDialogRequest(out, asResponse(calleeView), 'BYE', 1, { fromCallee: true }), CALLEE_CORE);
  t.equal(calleeBye.outcome.kind, 'forward', 'the callee may hang up');
  t.same(calleeBye.outcome.report.reasons, []);
  t.equal(header(sent(calleeBye.outcome), 'Call-ID'), 'orig-call-1@10.0.0.1', 'toward the AS on its own leg');
});

