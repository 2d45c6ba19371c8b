/**
 * The life cycle both front ends share, written once: the controller and its fair-share queue
 * (controller-queue.ts), a reload that swaps them for new messages, the periodic sweep of calls
 * abandoned without a BYE (so they stop counting against their peer's `concurrent_calls` on
 * either front end), draining (on SIGTERM new dialogs get 503 while what is in progress runs
 * to its end) and stopping, the decision log, and what is done with each outcome of the
 * controller. A front end keeps only what its SIP stack imposes, behind a FrontEndPort.
 */
import { randomBytes } from 'node:crypto';
import type { CallController, Inbound } from '../call/call-controller.ts';
import type { ControllerOutcome, OriginatedRequest } from '../call/controller-outcome.ts';
import { echoHeaders, reasonPhrase, responseOnLeg } from '../call/sip-builders.ts';
import { AuditIdentities } from '../log/audit-identities.ts';
import { logDecision } from '../log/decision-log.ts';
import { logSessionEnd } from '../log/session-end-log.ts';
import { logGuardResponse, type GuardResponseCause } from '../log/guard-response-log.ts';
import type { Logger } from '../log/logger.ts';
import type { GuardObserver } from '../metrics/guard-observer.ts';
import type { Profile } from '../profile/profile-types.ts';
import { cseqMethodOf } from '../sip/cseq.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { getHeader } from '../sip/sip-headers.ts';
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import { ControllerQueue } from './controller-queue.ts';
import { isSelfProbe, selfProbeAnswer } from './self-probe.ts';

/** Methods that open a dialog or stand alone: refused while draining, so calls in progress can finish. */
const DIALOG_CREATING = new Set(['INVITE', 'OPTIONS', 'MESSAGE', 'SUBSCRIBE', 'REGISTER', 'PUBLISH', 'REFER', 'NOTIFY']);

const DONE = Promise.resolve();

/** What both front ends are started with. */
export interface GuardRuntimeOptions {
  readonly profile: Profile;
  readonly controller: CallController;
  readonly logger: Logger;
  /** How often abandoned calls are swept; default 30 s. Tests make it short. */
  readonly sweepIntervalMs?: number;
  /**
   * The key of the audit trail's user pseudonyms: the operator's pseudonym key, so they read the
   * same in every instance and across restarts. Absent: one made at start (this process only).
   */
  readonly auditKey?: Buffer | null;
  /** Told of every decision, handling time and runtime refusal (the metrics); absent: nobody. */
  readonly observer?: GuardObserver;
}

export type Forwarded = Extract<ControllerOutcome, { kind: 'forward' }>;

/**
 * What the guard tells itself when a request it forwards could not be sent or was never
 * answered (503, 408): fed through the controller like a downstream response, so state ends cleanly.
 */
export function localResponse(req: SipRequest, status: number): SipResponse {
  const res = responseOnLeg(echoHeaders(req), status, reasonPhrase(status), 'dcg-local', []);
  LOCAL_RESPONSES.add(res);
  return res;
}

/** Responses the guard made up for a request it forwarded: each is an audit line of its own. */
const LOCAL_RESPONSES = new WeakSet<SipResponse>();

/** A request from the network as the runtime hands it back to its front end. */
export interface InboundRequest<Txn> {
  readonly request: SipRequest;
  readonly source: Inbound;
  /** Where it is answered; null when nobody answers it here (an ACK; on drachtio, a CANCEL drachtio-server answered). */
  readonly txn: Txn | null;
}

/**
 * What a front end does on its SIP stack; the runtime decides when. `Txn` is the stack's handle
 * on an inbound request's server transaction.
 */
export interface FrontEndPort<Txn> {
  /** Answers an inbound request: the controller's reply, or the runtime's 503 (draining, over its queue) or 500 (failure). */
  answer(txn: Txn, response: SipResponse): void;
  /**
   * Sends on what the controller forwards for `inbound` (ACK and CANCEL included); the responses
   * go through `GuardRuntime.response`. Its wait, if any, is the caller's `request` promise's.
   */
  forward(outcome: Forwarded, inbound: InboundRequest<Txn>): Promise<void> | void;
  /** Sends a downstream response the controller forwards back upstream on the inbound transaction. */
  relay(txn: Txn, response: SipResponse): void;
  /**
   * Sends a request the guard makes itself (controller-outcome.ts): an ACK statelessly, any
   * other on a client transaction whose responses end in the front end.
   */
  originate(request: OriginatedRequest): void;
}

export class GuardRuntime<Txn> {
  readonly queue: ControllerQueue;
  #controller: CallController;
  #profile: Profile;
  #draining = false;
  readonly #logger: Logger;
  readonly #port: FrontEndPort<Txn>;
  readonly #sweeper: NodeJS.Timeout;
  readonly #auditKey: Buffer;
  #audit: AuditIdentities;
  readonly #observer: GuardObserver | null;

  constructor(options: GuardRuntimeOptions, port: FrontEndPort<Txn>) {
    this.#controller = options.controller;
    this.#profile = options.profile;
    this.#logger = options.logger;
    this.#auditKey = options.auditKey ?? randomBytes(32);
    this.#audit = new AuditIdentities(options.profile, this.#auditKey);
    this.#port = port;
    this.#observer = options.observer ?? null;
    this.#observer?.profile(options.profile);
    this.queue = new ControllerQueue(options.controller, options.profile.limits.fairShare, options.logger);
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 30_000);
    this.#sweeper.unref();
  }

  /** The profile in force: the one started with, or the last reloaded. */
  get profile(): Profile {
    return this.#profile;
  }

  /** True once `stop` began: new dialogs get 503 (readiness reports not ready). */
  get draining(): boolean {
    return this.#draining;
  }

  /** A reloaded profile: its controller decides new messages; calls in progress keep their state (same store). */
  reload(controller: CallController, profile: Profile): void {
    this.#controller = controller;
    this.#profile = profile;
    this.#audit = new AuditIdentities(profile, this.#auditKey);
    this.queue.replace(controller, profile.limits.fairShare);
    this.#observer?.profile(profile);
  }

  /** True for a request that opens a dialog or stands alone (no To tag). */
  #isDialogCreating(req: SipRequest): boolean {
    return DIALOG_CREATING.has(req.method) && tagOf(getHeader(req, 'To')) === null;
  }

  /** While draining, the 503 a dialog-creating request gets (RFC 3261 21.5.4); otherwise null. */
  #refusalWhileDraining(req: SipRequest): SipResponse | null {
    if (!this.#draining || !this.#isDialogCreating(req)) {
      return null;
    }
    return responseOnLeg(echoHeaders(req), 503, reasonPhrase(503), 'dcg-drain', [{ name: 'Retry-After', value: '5' }]);
  }

  /**
   * An OPTIONS addressed to the guard itself (src/front/self-probe.ts), from a source the
   * controller would hear: answered here, 200 or 503 while draining; otherwise null. A source
   * the profile refuses is left to the controller, which refuses it as it refuses anything else.
   */
  #selfProbeAnswer(req: SipRequest, source: Inbound): SipResponse | null {
    if (!isSelfProbe(req, this.#controller.self)) {
      return null;
    }
    if (this.#controller.peerIdOf(source) === null && this.#profile.guard.unknownPeers === 'reject') {
      return null;
    }
    return selfProbeAnswer(req, this.#draining);
  }

  /**
   * A request from `source`: 503 while draining a dialog-creating one, 503 when its sender is
   * over its queue (an ACK, or a request on `txn` null, is then lost like on a busy link); else
   * the controller's decision, logged once, answered, dropped or forwarded through the port.
   * Settles once the decision is made and acted on (a failure is logged and answered 500).
   */
  request(req: SipRequest, source: Inbound, txn: Txn | null): Promise<void> {
    const probeAnswer = this.#selfProbeAnswer(req, source);
    if (probeAnswer !== null) {
      // Not logged: a dispatcher probes every guard every second or two.
      this.#answer(txn, probeAnswer);
      return DONE;
    }
    const refusal = this.#refusalWhileDraining(req);
    if (refusal !== null) {
      this.#answer(txn, refusal, 'draining');
      this.#observer?.refused('draining');
      return DONE;
    }
    const inbound: InboundRequest<Txn> = { request: req, source, txn };
    const dialogCreating = this.#isDialogCreating(req);
    return new Promise<void>((settle) => {
      const resolve = this.#timed('request', req.method, settle);
      const then = (outcome: ControllerOutcome): Promise<void> | void => {
        // Should it throw or reject, the queue hands that to `fail`, which settles.
        const tail = this.#dispatch(outcome, inbound, dialogCreating);
        if (tail === undefined) {
          resolve();
        } else {
          tail.then(resolve, resolve);
        }
        return tail;
      };
      const fail = (error: unknown): void => {
        resolve();
        this.fail(req, txn, error);
      };
      if (!this.queue.request(req, source, then, fail)) {
        this.#answer(txn, this.queue.busy(req), 'queue-full');
        this.#observer?.refused('queue-full');
        resolve();
      }
    });
  }

  /** A request its front end failed to handle: logged, and answered 500 where it is answered at all. */
  fail(req: SipRequest, txn: Txn | null, error: unknown): void {
    this.#logger.error({ err: error, method: req.method }, 'request handling failed');
    this.#answer(txn, responseOnLeg(echoHeaders(req), 500, reasonPhrase(500), 'dcg-error', []), 'failure');
  }

  /**
   * A response from downstream (`from`), charged to `onBehalfOf`'s queue: through the controller,
   * logged when its verdict carries a reason, and relayed back on `txn` when the controller
   * forwards it (null: the controller's state moves on, nothing is sent). Settles once acted on.
   */
  response(res: SipResponse, from: Inbound, onBehalfOf: Inbound, txn: Txn | null): Promise<void> {
    return new Promise<void>((settle) => {
      const resolve = this.#timed('response', cseqMethodOf(res), settle);
      const then = (outcome: ControllerOutcome): void => {
        try {
          this.#observer?.decision(outcome, 'response');
          if (LOCAL_RESPONSES.has(res)) {
            const relayed = outcome.kind === 'forward' ? (outcome.message as SipResponse) : null;
            logGuardResponse(this.#logger, res, res.status === 408 ? 'timeout' : 'unreachable', relayed);
          }
          if (outcome.report.reasons.length > 0) {
            logDecision(this.#logger, outcome, { inbound: res, dialogCreating: false }, this.#audit);
          }
          if (outcome.kind === 'forward' && txn !== null) {
            this.#port.relay(txn, outcome.message as SipResponse);
          }
          this.#originate(outcome);
        } finally {
          resolve();
        }
      };
      const fail = (error: unknown): void => {
        this.#logger.error({ err: error, status: res.status }, 'response handling failed');
        resolve();
      };
      this.queue.response(res, from, onBehalfOf, then, fail);
    });
  }

  /**
   * SIGTERM: draining starts (new dialogs get 503) and the sweep stops; once `busy()` says
   * nothing is in progress, or `graceMs` passed, the runtime closes and then `closeStack` closes
   * the front end's SIP stack.
   */
  async stop(graceMs: number, busy: () => boolean, closeStack: () => Promise<void> | void): Promise<void> {
    this.#draining = true;
    clearInterval(this.#sweeper);
    const deadline = Date.now() + graceMs;
    while (busy() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.#close();
    await closeStack();
  }

  #close(): void {
    clearInterval(this.#sweeper);
    this.queue.close();
  }

  /**
   * One decision log line per request decision (none for an ACK that goes on as it came: one
   * whose answer the guard corrected has its line), then the port acts on it.
   */
  #dispatch(outcome: ControllerOutcome, inbound: InboundRequest<Txn>, dialogCreating: boolean): Promise<void> | void {
    if (inbound.request.method !== 'ACK' || outcome.kind !== 'forward' || outcome.report.reasons.length > 0) {
      logDecision(this.#logger, outcome, { inbound: inbound.request, dialogCreating }, this.#audit);
    }
    this.#observer?.decision(outcome, 'request');
    this.#originate(outcome);
    switch (outcome.kind) {
      case 'reply':
        this.#answer(inbound.txn, outcome.response);
        return;
      case 'drop':
        return;
      case 'forward':
        return this.#port.forward(outcome, inbound);
    }
  }

  /** `settle`, reporting the time since now to the observer on its first call; `settle` itself without one. */
  #timed(inbound: 'request' | 'response', method: string, settle: () => void): () => void {
    const observer = this.#observer;
    if (observer === null) {
      return settle;
    }
    const started = performance.now();
    let done = false;
    return () => {
      if (!done) {
        done = true;
        observer.handled(inbound, method, performance.now() - started);
      }
      settle();
    };
  }

  /**
   * `cause`: the runtime itself answers (draining, queue full, failure): an audit line says so,
   * only when something is sent (an ACK, or `txn` null, gets no response: no line claims one).
   */
  #answer(txn: Txn | null, response: SipResponse, cause?: GuardResponseCause): void {
    if (txn === null) {
      return;
    }
    if (cause !== undefined) {
      logGuardResponse(this.#logger, response, cause);
    }
    this.#port.answer(txn, response);
  }

  /** The requests the guard makes itself with this outcome, handed to the front end one by one. */
  #originate(outcome: ControllerOutcome): void {
    for (const request of outcome.originate ?? []) {
      try {
        this.#port.originate(request);
      } catch (error) {
        this.#logger.error({ err: error, method: request.request.method }, 'guard request not sent');
      }
    }
  }

  #sweep(): void {
    // Sessions whose timer ran out (RFC 4028 10): each ended with a decision line and a BYE on every leg.
    this.#controller.expireSessions().then(
      (ended) => {
        for (const outcome of ended) {
          logSessionEnd(this.#logger, outcome);
          this.#observer?.decision(outcome, 'request');
          this.#originate(outcome);
        }
      },
      (error: unknown) => this.#logger.error({ err: error }, 'session timer sweep failed'),
    );
    this.#controller.expireAbandoned().then(
      (expired) => {
        if (expired > 0) {
          this.#logger.info({ expired }, 'abandoned calls expired');
        }
      },
      (error: unknown) => this.#logger.error({ err: error }, 'expiry sweep failed'),
    );
  }
}


