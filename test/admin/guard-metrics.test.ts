/** GuardMetrics on its own: bounded labels, decisions and reasons, store and timer hooks; the transaction layer's timeout hook. */
import t from 'tap';
import type { ControllerOutcome } from '../../src/call/controller-outcome.ts';
import { GuardMetrics } from '../../src/metrics/guard-metrics.ts';
import type { Reason } from '../../src/policy/reason.ts';
import { TransactionLayer } from '../../src/transaction/transaction-layer.ts';
import { FakeScheduler } from '../helpers/fake-scheduler.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { FakeTransport, RecordingClient, RecordingUser, UAC, UAS, request, responseTo } from '../transaction/fixtures/transaction-fakes.ts';

function drop(from: string, message: string, reasons: Reason[], action: 'forward' | 'reject' | 'drop' = 'drop'): ControllerOutcome {
  return { kind: 'drop', report: { call: null, from, initiator: null, message, action, status: null, reasons, wouldHave: null } };
}

/** The value of one series in the exposition text, or null when it is absent. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

t.test('labels are bounded: unknown senders, made-up methods and reason codes collapse to one value', async (t) => {
  const metrics = new GuardMetrics({ defaultMetrics: false });
  metrics.profile(labProfile());
  metrics.decision(drop('weather-as', 'INVITE', [{ code: 'dc.app-not-granted', peer: 'weather-as' }], 'forward'));
  metrics.decision(drop('unknown:198.51.100.7', 'X-EVIL-sip:alice@example.net', []));
  metrics.decision(drop('core', '183 INVITE', []));
  metrics.decision(drop('weather-as', 'INVITE', [{ code: 'peer.rate-limited' }, { code: 'peer.rate-limited' }], 'reject'));
  metrics.decision(drop('weather-as', 'INVITE', [{ code: 'peer.concurrent-calls' }], 'forward'));
  const text = await metrics.text();
  t.equal(sample(text, 'dcg_decisions_total{peer="weather-as",message="INVITE",action="forward"}'), 2);
  t.equal(sample(text, 'dcg_decisions_total{peer="unknown",message="other",action="drop"}'), 1, 'an unknown sender and a made-up method');
  t.equal(sample(text, 'dcg_decisions_total{peer="core",message="1xx INVITE",action="drop"}'), 1, 'a response by status class');
  t.equal(sample(text, 'dcg_decision_reasons_total{peer="weather-as",message="INVITE",action="forward",reason="dc.app-not-granted"}'), 1);
  t.equal(sample(text, 'dcg_decision_reasons_total{peer="weather-as",message="INVITE",action="reject",reason="peer.rate-limited"}'), 1, 'a code once per decision');
  t.equal(sample(text, 'dcg_rate_limit_refusals_total{peer="weather-as",limit="rate"}'), 1);
  t.equal(sample(text, 'dcg_rate_limit_refusals_total{peer="weather-as",limit="concurrent-calls"}'), null, 'monitor mode forwarded it: nothing was refused');
  t.notMatch(text, /198\.51\.100\.7|alice|EVIL/, 'no address, identity or made-up text');
});

t.test('store operations, runtime refusals and active calls', async (t) => {
  let calls: Record<string, number> = { early: 2, confirmed: 5 };
  const metrics = new GuardMetrics({ defaultMetrics: false, countCalls: () => Promise.resolve(calls) });
  metrics.storeOperation('get', 2, false);
  metrics.storeOperation('put', 300, true);
  metrics.storeOperation('Not A Name!', 1, true);
  metrics.refused('draining');
  let text = await metrics.text();
  t.equal(sample(text, 'dcg_store_operation_seconds_count{op="get"}'), 1);
  t.equal(sample(text, 'dcg_store_errors_total{op="put"}'), 1);
  t.equal(sample(text, 'dcg_store_errors_total{op="other"}'), 1, 'an odd operation name is not a label');
  t.equal(sample(text, 'dcg_store_errors_total{op="get"}'), null);
  t.equal(sample(text, 'dcg_runtime_refusals_total{why="draining"}'), 1);
  t.equal(sample(text, 'dcg_active_calls{state="confirmed"}'), 5);
  calls = { confirmed: 1 };
  text = await metrics.text();
  t.equal(sample(text, 'dcg_active_calls{state="confirmed"}'), 1, 'counted afresh at each scrape');
  t.equal(sample(text, 'dcg_active_calls{state="early"}'), null, 'a state with no calls left is gone');
});

t.test('the default collectors are in the guard registry: event-loop delay among them', async (t) => {
  const text = await new GuardMetrics().text();
  t.match(text, /^nodejs_eventloop_lag_p99_seconds /m);
  t.match(text, /^process_cpu_seconds_total /m);
});

t.test('the transaction layer reports Timer B, F and H to its onTimeout hook', async (t) => {
  const timers: string[] = [];
  const transport = new FakeTransport();
  const clock = new FakeScheduler();
  const user = new RecordingUser();
  const layer = new TransactionLayer(transport, user, { scheduler: clock, onTimeout: (timer) => timers.push(timer) });
  layer.request(request(), UAS, new RecordingClient());
  layer.request(request({ method: 'OPTIONS', branch: 'z9hG4bK-options-1' }), UAS, new RecordingClient());
  const invite = request({ branch: 'z9hG4bK-inbound-1', callId: 'inbound-1' });
  transport.deliver(invite, UAC, null);
  user.requests[0]?.txn.respond(responseTo(invite, 486, 'busy'));
  clock.advance(40_000);
  t.same([...timers].sort(), ['B', 'F', 'H']);
  const metrics = new GuardMetrics({ defaultMetrics: false });
  for (const timer of timers) {
    metrics.transactionTimeout(timer as 'B' | 'F' | 'H');
  }
  t.equal(sample(await metrics.text(), 'dcg_transaction_timeouts_total{timer="H"}'), 1);
});
