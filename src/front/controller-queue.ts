/**
 * The way both front ends reach the call controller: every request and response waits in its
 * sender's fair-share queue (fair-share.ts) before the controller decides on it. A peer over
 * its queue gets 503 with Retry-After on its requests and loses its responses, and is told
 * about in one summary line per interval, never one line per message (a flood must not
 * become a log flood).
 */
import type { CallController, Inbound } from '../call/call-controller.ts';
import type { ControllerOutcome } from '../call/controller-outcome.ts';
import { echoHeaders, reasonPhrase, responseOnLeg } from '../call/sip-builders.ts';
import type { Logger } from '../log/logger.ts';
import type { FairShareLimits } from '../profile/profile-types.ts';
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import { FairShare, UNKNOWN_PEER } from './fair-share.ts';

/** How often refusals for being over a queue are summarised in the log. */
const SUMMARY_INTERVAL_MS = 10_000;

export class ControllerQueue {
  #controller: CallController;
  #limits: FairShareLimits;
  #share: FairShare;
  readonly #logger: Logger;
  /** Peer (or "unknown") -> messages refused or dropped since the last summary. */
  readonly #refused = new Map<string, { requests: number; responses: number }>();
  readonly #summary: NodeJS.Timeout;

  constructor(controller: CallController, limits: FairShareLimits, logger: Logger) {
    this.#controller = controller;
    this.#limits = limits;
    this.#logger = logger;
    this.#share = this.#newShare(limits);
    this.#summary = setInterval(() => this.#summarise(), SUMMARY_INTERVAL_MS);
    this.#summary.unref();
  }

  /** A reloaded profile: new caps for new messages; jobs already waiting run on the new controller. */
  replace(controller: CallController, limits: FairShareLimits): void {
    this.#controller = controller;
    if (limits.queuePerPeer !== this.#limits.queuePerPeer || limits.queueUnknown !== this.#limits.queueUnknown) {
      // The old queues drain on their own; new messages queue under the new caps.
      this.#share.close();
      this.#share = this.#newShare(limits);
    }
    this.#limits = limits;
  }

  get controller(): CallController {
    return this.#controller;
  }

  /** The controller's decision on a request; null when its sender is over its queue (answer `busy`, or drop an ACK). */
  request(req: SipRequest, source: Inbound): Promise<ControllerOutcome> | null {
    const queue = this.#controller.peerIdOf(source) ?? UNKNOWN_PEER;
    const decided = this.#share.submit(queue, () => this.#controller.handleRequest(req, source));
    if (decided === null) {
      this.#count(queue, 'requests');
    }
    return decided;
  }

  /** The controller's decision on a response; null when its sender is over its queue (the response is dropped). */
  response(res: SipResponse, source: Inbound): Promise<ControllerOutcome> | null {
    const queue = this.#controller.peerIdOf(source) ?? UNKNOWN_PEER;
    const decided = this.#share.submit(queue, () => this.#controller.handleResponse(res, source));
    if (decided === null) {
      this.#count(queue, 'responses');
    }
    return decided;
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

  #newShare(limits: FairShareLimits): FairShare {
    return new FairShare({
      queuePerPeer: limits.queuePerPeer,
      queueUnknown: limits.queueUnknown,
      onStall: (peer) => this.#logger.error({ peer }, 'a controller decision took over 2 s; the queues went on without it'),
    });
  }

  #count(queue: string | typeof UNKNOWN_PEER, kind: 'requests' | 'responses'): void {
    const peer = queue === UNKNOWN_PEER ? 'unknown' : queue;
    let counts = this.#refused.get(peer);
    if (counts === undefined) {
      counts = { requests: 0, responses: 0 };
      this.#refused.set(peer, counts);
    }
    counts[kind]++;
  }

  #summarise(): void {
    for (const [peer, counts] of this.#refused) {
      this.#logger.warn(
        { peer, refused: counts.requests, dropped: counts.responses, intervalMs: SUMMARY_INTERVAL_MS, status: 503 },
        'peer over its fair share: requests answered 503, responses dropped',
      );
    }
    this.#refused.clear();
  }
}
