/**
 * The guard's Prometheus metrics (prom-client), in a registry of their own so an embedding
 * process's metrics never mix in. Label values are bounded (metric-labels.ts): peer ids of the
 * profile, reason codes, method names, timer letters; never an identity or an address.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ControllerOutcome } from '../call/controller-outcome.ts';
import type { Profile } from '../profile/profile-types.ts';
import type { GuardObserver, TransactionTimer } from './guard-observer.ts';
import { BoundedNames, messageLabel, methodLabel, reasonLabel, UNKNOWN } from './metric-labels.ts';

/** Live calls per state (`early`, `confirmed`, …), as the call store counts them. */
export type CallCounter = () => Readonly<Record<string, number>> | Promise<Readonly<Record<string, number>>>;

export interface GuardMetricsOptions {
  /** Counts live calls by state when Prometheus scrapes; absent: the gauge stays empty. */
  readonly countCalls?: CallCounter;
  /** Node's process and event-loop collectors (event-loop delay among them); default true. */
  readonly defaultMetrics?: boolean;
}

const LIMIT_REASONS: Readonly<Record<string, string>> = { 'peer.rate-limited': 'rate', 'peer.concurrent-calls': 'concurrent-calls' };

export class GuardMetrics implements GuardObserver {
  readonly registry = new Registry();
  #peers: ReadonlySet<string> = new Set();
  readonly #storeOps = new BoundedNames(32);
  readonly #callStates = new BoundedNames(16);
  readonly #decisions: Counter<'peer' | 'message' | 'action'>;
  readonly #reasons: Counter<'peer' | 'message' | 'action' | 'reason'>;
  readonly #limitRefusals: Counter<'peer' | 'limit'>;
  readonly #handling: Histogram<'inbound' | 'method'>;
  readonly #refusals: Counter<'why'>;
  readonly #timeouts: Counter<'timer'>;
  readonly #storeLatency: Histogram<'op'>;
  readonly #storeErrors: Counter<'op'>;

  constructor(options: GuardMetricsOptions = {}) {
    const registers = [this.registry];
    this.#decisions = new Counter({
      name: 'dcg_decisions_total',
      help: 'Decisions about messages, by sending peer, message (method, or status class and method for a response), and action (forward, reject, drop).',
      labelNames: ['peer', 'message', 'action'],
      registers,
    });
    this.#reasons = new Counter({
      name: 'dcg_decision_reasons_total',
      help: 'Reason codes carried by decisions (one per distinct code in a decision), by sending peer, message, action and reason code.',
      labelNames: ['peer', 'message', 'action', 'reason'],
      registers,
    });
    this.#limitRefusals = new Counter({
      name: 'dcg_rate_limit_refusals_total',
      help: 'Requests refused over a peer limit (503 with Retry-After), by peer and limit (rate, concurrent-calls).',
      labelNames: ['peer', 'limit'],
      registers,
    });
    this.#handling = new Histogram({
      name: 'dcg_message_handling_seconds',
      help: 'Time from a message reaching the guard to its decision being acted on, by inbound kind (request, response) and method.',
      labelNames: ['inbound', 'method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.#refusals = new Counter({
      name: 'dcg_runtime_refusals_total',
      help: 'Requests answered 503 before any decision: draining (new dialogs while stopping) or queue-full (the sender over its fair-share queue).',
      labelNames: ['why'],
      registers,
    });
    this.#timeouts = new Counter({
      name: 'dcg_transaction_timeouts_total',
      help: 'Transactions ended by a timer: B (INVITE unanswered, 408), F (non-INVITE unanswered, 408), H (no ACK for a final response).',
      labelNames: ['timer'],
      registers,
    });
    this.#storeLatency = new Histogram({
      name: 'dcg_store_operation_seconds',
      help: 'Call store operation time, failed ones included, by operation.',
      labelNames: ['op'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.#storeErrors = new Counter({
      name: 'dcg_store_errors_total',
      help: 'Call store operations that failed or timed out, by operation.',
      labelNames: ['op'],
      registers,
    });
    const countCalls = options.countCalls;
    const states = this.#callStates;
    new Gauge({
      name: 'dcg_active_calls',
      help: 'Live calls by state, counted by the call store when scraped.',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        if (countCalls === undefined) {
          return;
        }
        for (const [state, count] of Object.entries(await countCalls())) {
          this.inc({ state: states.label(state) }, count);
        }
      },
    });
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  profile(profile: Profile): void {
    this.#peers = new Set(profile.peers.map((peer) => peer.id));
  }

  decision(outcome: ControllerOutcome): void {
    const { report } = outcome;
    const peer = this.#peerLabel(report.from);
    const labels = { peer, message: messageLabel(report.message), action: report.action };
    this.#decisions.inc(labels);
    for (const code of new Set(report.reasons.map((reason) => reason.code))) {
      this.#reasons.inc({ ...labels, reason: reasonLabel(code) });
      const limit = LIMIT_REASONS[code];
      if (limit !== undefined && report.action !== 'forward') {
        this.#limitRefusals.inc({ peer, limit });
      }
    }
  }

  handled(inbound: 'request' | 'response', method: string, ms: number): void {
    this.#handling.observe({ inbound, method: methodLabel(method) }, ms / 1000);
  }

  refused(why: 'draining' | 'queue-full'): void {
    this.#refusals.inc({ why });
  }

  transactionTimeout(timer: TransactionTimer): void {
    this.#timeouts.inc({ timer });
  }

  /** The store's observer calls this once per operation: its name, how long it took, whether it failed. */
  readonly storeOperation = (op: string, ms: number, failed: boolean): void => {
    const labels = { op: this.#storeOps.label(op) };
    this.#storeLatency.observe(labels, ms / 1000);
    if (failed) {
      this.#storeErrors.inc(labels);
    }
  };

  #peerLabel(id: string): string {
    return this.#peers.has(id) ? id : UNKNOWN;
  }
}
