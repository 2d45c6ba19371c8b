/**
 * The way both front ends reach the call controller: every request and response waits in its
 * sender's fair-share queue (fair-share.ts) before the controller decides on it, and on the
 * embedded front end before it is even parsed (a request then parsed and decided in one job). A peer over its queue gets 503 with Retry-After
 * on its requests, and is told about in one summary line per interval, never one line per
 * message (a flood must not become a log flood).
 */
import type { CallController, Inbound } from '../call/call-controller.ts';
import type { ControllerOutcome } from '../call/controller-outcome.ts';
import { echoHeaders, reasonPhrase, responseOnLeg } from '../call/sip-builders.ts';
import type { Logger } from '../log/logger.ts';
import type { FairShareLimits } from '../profile/profile-types.ts';
import { UNDER_WAY_METHODS, type SipRequest, type SipResponse } from '../sip/sip-message.ts';
import type { WaitMeter } from '../call/wait-meter.ts';
import { FairShare, UNKNOWN_PEER, type QueueKey } from './fair-share.ts';

type Then = (outcome: ControllerOutcome) => Promise<void> | void;

const DONE = Promise.resolve();

/** The receive job in progress: its sender's queue, its store-wait meter, the decisions it started. */
interface Receiving {
  readonly queue: QueueKey;
  readonly meter: WaitMeter;
  readonly decisions: Array<Promise<void>>;
}
const QUEUED = { queued: true } as const;

/** Requests of a dialog or transaction under way: they get the queue's headroom past the cap (fair-share.ts). */
const IN_DIALOG_METHODS: ReadonlySet<string> = new Set(UNDER_WAY_METHODS);

/** How often refusals for being over a queue are summarised in the log. */
const SUMMARY_INTERVAL_MS = 10_000;

export class ControllerQueue {
  #controller: CallController;
  #limits: FairShareLimits;
  #share: FairShare;
  readonly #logger: Logger;
  /** Peer (or "unknown") -> messages refused or dropped since the last summary. */
  readonly #refused = new Map<string, { requests: number; unread: number }>();
  readonly #summary: NodeJS.Timeout;
  /**
   * Set while a receive job parses: a request it hands up from the same sender is decided in
   * that job (one turn of the fair share per request, not one to parse and one to decide).
   */
  #receiving: Receiving | null = null;

  constructor(controller: CallController, limits: FairShareLimits, logger: Logger) {
    this.#controller = controller;
    this.#limits = limits;
    this.#logger = logger;
    this.#share = this.#newShare(limits, controller.decisionsInFlight);
    this.#summary = setInterval(() => this.#summarise(), SUMMARY_INTERVAL_MS);
    this.#summary.unref();
  }

  /** A reloaded profile: new caps for new messages; jobs already waiting run on the new controller. */
  replace(controller: CallController, limits: FairShareLimits): void {
    this.#controller = controller;
    if (limits.queuePerPeer !== this.#limits.queuePerPeer || limits.queueUnknown !== this.#limits.queueUnknown) {
      // The old queues drain on their own; new messages queue under the new caps.
      this.#share.close();
      this.#share = this.#newShare(limits, controller.decisionsInFlight);
    }
    this.#limits = limits;
  }

  get controller(): CallController {
    return this.#controller;
  }

  /**
   * Queues the controller's decision on a request and `then` what the front end does with it
   * (log, answer, forward): both run on the sender's time, up to `then`'s first wait (a DNS
   * look-up), which does not hold the queues up. False when the sender is over its queue (answer
   * `busy`, or drop an ACK). A failure of either goes to `fail`.
   */
  request(req: SipRequest, source: Inbound, then: Then, fail: (error: unknown) => void): boolean {
    const queue = this.#controller.peerIdOf(source) ?? UNKNOWN_PEER;
    const receiving = this.#receiving;
    if (receiving !== null && receiving.queue === queue) {
      // Parsed in its sender's receive job: decided in that same job, in its place in the queue.
      receiving.decisions.push(this.#settle(this.#controller.handleRequest(req, source, receiving.meter), then, fail));
      return true;
    }
    const room = IN_DIALOG_METHODS.has(req.method) ? 'in-dialog' : 'cap';
    const queued = this.#share.submit(queue, (meter) => this.#settle(this.#controller.handleRequest(req, source, meter), then, fail), room);
    if (queued === null) {
      this.#count(queue, 'requests');
      return false;
    }
    return true;
  }

  /**
   * The same for a response from `source`. A response is charged to the peer whose request
   * started the transaction (`onBehalfOf`): the core's answers to an AS's calls are that AS's
   * work. It is never dropped, even past that queue's cap: it answers a request the guard sent
   * (the transaction layer passes on no other), so their number is bounded by what the guard
   * forwarded, and dropping one would only fail a call the guard already let through.
   */
  response(res: SipResponse, source: Inbound, onBehalfOf: Inbound, then: Then, fail: (error: unknown) => void): void {
    const queue = this.#controller.peerIdOf(onBehalfOf) ?? UNKNOWN_PEER;
    // The job never rejects (#settle hands every failure to `fail`).
    void this.#share.submit(queue, (meter) => this.#settle(this.#controller.handleResponse(res, source, meter), then, fail), 'always');
  }

  /**
   * Received bytes from `source` to be parsed (and handed up) on its sender's time; not queued
   * when the sender's queue is full (counted; the transport answers 503 with this Retry-After).
   * `inDialog`: the bytes start as a message of a dialog or transaction under way does (an ACK,
   * a BYE, a response: src/transport/receive-scheduling.ts), which gets the queue's headroom.
   */
  receive(source: Inbound, work: () => void, inDialog = false): { readonly queued: true } | { readonly queued: false; readonly retryAfterS: number } {
    const queue = this.#controller.peerIdOf(source) ?? UNKNOWN_PEER;
    const queued = this.#share.submit(queue, (meter) => {
      const receiving: Receiving = { queue, meter, decisions: [] };
      this.#receiving = receiving;
      try {
        work();
      } finally {
        this.#receiving = null;
      }
      const [only, ...more] = receiving.decisions;
      return more.length > 0 ? Promise.all(receiving.decisions).then(() => undefined) : (only ?? DONE);
    }, inDialog ? 'in-dialog' : 'cap');
    if (queued === null) {
      this.#count(queue, 'unread');
      return { queued: false, retryAfterS: this.#limits.retryAfterS };
    }
    return QUEUED;
  }

  /** 503 with Retry-After for a request whose sender is over its queue (RFC 3261 21.5.4). */
  busy(req: SipRequest): SipResponse {
    return responseOnLeg(echoHeaders(req), 503, reasonPhrase(503), 'dcg-busy', [{ name: 'Retry-After', value: String(this.#limits.retryAfterS) }]);
  }

  close(): void {
    clearInterval(this.#summary);
    this.#share.close();
    this.#summarise();
  }

  /** `then` on the decision, every failure to `fail`: the job itself never rejects. */
  #settle(decision: Promise<ControllerOutcome>, then: Then, fail: (error: unknown) => void): Promise<void> {
    const failed = (error: unknown): void => {
      try {
        fail(error);
      } catch (inner) {
        this.#logger.error({ err: inner }, 'failure handling failed');
      }
    };
    return decision.then((outcome) => {
      try {
        const tail = then(outcome);
        if (tail !== undefined) {
          tail.catch(failed);
        }
      } catch (error) {
        failed(error);
      }
    }, failed);
  }

  #newShare(limits: FairShareLimits, inFlight: number): FairShare {
    return new FairShare({
      queuePerPeer: limits.queuePerPeer,
      queueUnknown: limits.queueUnknown,
      inFlight,
      onStall: (peer) => this.#logger.error({ peer }, 'a controller decision took over 2 s; the queues went on without it'),
    });
  }

  #count(queue: string | typeof UNKNOWN_PEER, kind: 'requests' | 'unread'): void {
    const peer = queue === UNKNOWN_PEER ? 'unknown' : queue;
    let counts = this.#refused.get(peer);
    if (counts === undefined) {
      counts = { requests: 0, unread: 0 };
      this.#refused.set(peer, counts);
    }
    counts[kind]++;
  }

  #summarise(): void {
    for (const [peer, counts] of this.#refused) {
      this.#logger.warn(
        { peer, refused: counts.requests, unread: counts.unread, intervalMs: SUMMARY_INTERVAL_MS, status: 503 },
        'peer over its fair share: requests answered 503, unread messages dropped',
      );
    }
    this.#refused.clear();
  }
}
