/**
 * `guard.fail` with the shared store down, decided in the step (pure, no store): the step is
 * told `storeDown` in its facts. Closed: no DC added by anyone, an untrusted peer's in-dialog
 * changes refused 503 with Retry-After, the core's requests go on. Open: everything proceeds.
 * Every decision made meanwhile carries `state.unavailable`.
 */
import t from 'tap';
import type { Inbound } from '../../src/call/call-controller.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import type { SipMessage, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { CALLEE_CORE, CORE, WEATHER_AS, asRequest, coreInvite, header, inDialogRequest, responseTo } from '../helpers/controller-fixture.ts';
import { labProfileYaml } from '../helpers/profile-fixture.ts';
import { BOOTSTRAP, WEATHER, offer } from '../helpers/sdp-builder.ts';
import { StepWorld, sent } from '../helpers/step-fixture.ts';

const CLOSED = parseProfile(labProfileYaml(), 'closed.yaml');
const OPEN = parseProfile(labProfileYaml().replace('fail: closed', 'fail: open'), 'open.yaml');
const WEATHER_2 = { stream: 1004, sub: 'x-app', label: 'weather-2', app: 'com.example.weather' };

function asResponse(m: SipMessage): SipResponse {
  if (m.kind !== 'response') {
    throw new Error('not a response');
  }
  return m;
}

/** weather-as calls the core with a granted DC, answered and acknowledged, with the store up. */
function asCall(profile: Profile): { w: StepWorld; req: SipMessage; out: SipMessage; ok: SipResponse } {
  const w = new StepWorld(profile);
  const req = parseSipMessage(coreInvite({ body: offer({ channels: [WEATHER] }), via: '127.0.0.3' }));
  const out = sent(w.send(req, WEATHER_AS).outcome);
  const ok = asResponse(sent(w.send(responseTo(out, 200, 'OK', { body: offer({ channels: [WEATHER], username: 'bob' }), contact: '<sip:bob@10.0.0.2>' }), CALLEE_CORE).outcome));
  sent(w.send(inDialogRequest(asRequest(req), ok, 'ACK', 10), WEATHER_AS).outcome);
  return { w, req, out, ok };
}

function down(w: StepWorld, text: string, from: Inbound) {
  const prepared = w.prepare(text, from);
  return w.run({ ...prepared, facts: { ...prepared.facts, storeDown: true } });
}

const codes = (reasons: readonly { code: string }[]): string[] => reasons.map((r) => r.code);

t.test('fail closed, store down', async (t) => {
  t.test("the AS's re-INVITE adding a DC it is granted: 503 with Retry-After, nothing changed", async (t) => {
    const { w, req, ok } = asCall(CLOSED);
    const reinvite = inDialogRequest(asRequest(req), ok, 'INVITE', 11, { body: offer({ channels: [WEATHER, WEATHER_2], version: 2 }) });
    const result = down(w, reinvite, WEATHER_AS);
    t.equal(result.outcome.kind, 'reply');
    t.equal(result.outcome.report.status, 503);
    t.same(codes(result.outcome.report.reasons), ['state.unavailable']);
    t.ok(result.outcome.kind === 'reply' && header(result.outcome.response, 'Retry-After') !== undefined, 'with Retry-After');
    t.equal(result.next, w.prepare(reinvite, WEATHER_AS).located?.call, 'the call stays as it was');
    const up = w.send(reinvite, WEATHER_AS);
    t.equal(up.outcome.kind, 'forward', 'the same re-INVITE with the store up goes on: the store is what refused it');
  });

  t.test("the AS's BYE and UPDATE are refused; its INFO goes on", async (t) => {
    const { w, req, ok } = asCall(CLOSED);
    for (const method of ['BYE', 'UPDATE']) {
      const result = down(w, inDialogRequest(asRequest(req), ok, method, 11, method === 'UPDATE' ? { body: offer({ channels: [WEATHER], version: 2 }) } : {}), WEATHER_AS);
      t.equal(result.outcome.report.status, 503, `${method} refused`);
    }
    const info = down(w, inDialogRequest(asRequest(req), ok, 'INFO', 12), WEATHER_AS);
    t.equal(info.outcome.kind, 'forward', 'INFO changes nothing of the dialog');
    t.ok(codes(info.outcome.report.reasons).includes('state.unavailable'), 'and is marked as decided with the store down');
  });

  t.test("the core's new call goes on with its DC m-line refused (port 0)", async (t) => {
    const w = new StepWorld(CLOSED);
    const result = down(w, coreInvite({ body: offer({ channels: [BOOTSTRAP] }) }), CORE);
    const out = sent(result.outcome);
    t.match(out.body, /m=application 0 /, 'the DC m-line refused');
    t.match(out.body, /m=audio 49170 /, 'the audio untouched');
    t.ok(codes(result.outcome.report.reasons).every((c) => c === 'state.unavailable'), 'every reason is state.unavailable');
    t.same(result.next?.owners ?? [], [], 'no DC recorded as anybody\'s');
  });

  t.test("the core's BYE ends the AS's call", async (t) => {
    const { w, out } = asCall(CLOSED);
    const calleeView = asResponse(parseSipMessage(responseTo(asRequest(out), 200, 'OK')));
    const result = down(w, inDialogRequest(asRequest(out), calleeView, 'BYE', 1, { fromCallee: true }), CALLEE_CORE);
    t.equal(result.outcome.kind, 'forward', 'relayed to the AS');
    t.equal(result.outcome.kind === 'forward' ? result.outcome.to.peerId : null, 'weather-as');
  });
});

t.test('fail open, store down: everything proceeds, marked state.unavailable', async (t) => {
  const { w, req, ok } = asCall(OPEN);
  const result = down(w, inDialogRequest(asRequest(req), ok, 'INVITE', 11, { body: offer({ channels: [WEATHER, WEATHER_2], version: 2 }) }), WEATHER_AS);
  t.equal(result.outcome.kind, 'forward');
  t.match(sent(result.outcome).body, /weather-2/, 'the added channel goes on');
  t.ok(codes(result.outcome.report.reasons).includes('state.unavailable'));
  const call = down(new StepWorld(OPEN), coreInvite({ body: offer({ channels: [BOOTSTRAP] }) }), CORE);
  t.match(sent(call.outcome).body, /m=application 52718 /, "the core's DC is not refused");
});

t.test('store down: a new call of an untrusted peer with concurrent_calls waits under fail closed (each instance would count only its own); without the cap, under fail open, or from the core it goes on', async (t) => {
  const capped = (fail: 'closed' | 'open'): Profile =>
    parseProfile(
      labProfileYaml({
        weatherGrants: `      bootstrap: false
      apps: ["com.example.weather"]
      modify: own
      terminate: false
    limits: { concurrent_calls: 5 }`,
      }).replace('fail: closed', `fail: ${fail}`),
      `capped-${fail}.yaml`,
    );
  const fromAs = coreInvite({ body: offer({ channels: [] }), via: '127.0.0.3' });
  const refused = down(new StepWorld(capped('closed')), fromAs, WEATHER_AS);
  t.equal(refused.outcome.report.status, 503, 'the capped AS waits');
  t.same(codes(refused.outcome.report.reasons), ['state.unavailable']);
  t.ok(refused.outcome.kind === 'reply' && header(refused.outcome.response, 'Retry-After') !== undefined, 'with Retry-After');
  t.equal(down(new StepWorld(capped('open')), fromAs, WEATHER_AS).outcome.kind, 'forward', 'fail open: it goes on');
  t.equal(down(new StepWorld(CLOSED), fromAs, WEATHER_AS).outcome.kind, 'forward', 'no cap: nothing to count, it goes on');
  t.equal(down(new StepWorld(capped('closed')), coreInvite({ body: offer({ channels: [] }) }), CORE).outcome.kind, 'forward', "the core's call goes on");
});
