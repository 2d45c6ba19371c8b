/**
 * The life cycle both front ends share, written once: the controller and its fair-share queue
 * (controller-queue.ts), a reload that swaps them for new messages, the periodic sweep of calls
 * abandoned without a BYE (so they stop counting against their peer's `concurrent_calls` on
 * either front end), and draining: on SIGTERM new dialogs get 503 while what is in progress runs
 * to its end. A front end keeps only what its SIP stack imposes.
 */
import type { CallController } from '../call/call-controller.ts';
import { echoHeaders, reasonPhrase, responseOnLeg } from '../call/sip-builders.ts';
import type { Logger } from '../log/logger.ts';
import type { Profile } from '../profile/profile-types.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { getHeader } from '../sip/sip-headers.ts';
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import { ControllerQueue } from './controller-queue.ts';

/** Methods that open a dialog or stand alone: refused while draining, so calls in progress can finish. */
const DIALOG_CREATING = new Set(['INVITE', 'OPTIONS', 'MESSAGE', 'SUBSCRIBE', 'REGISTER', 'PUBLISH', 'REFER', 'NOTIFY']);

export interface GuardRuntimeOptions {
  /** How often abandoned calls are swept; default 30 s. */
  readonly sweepIntervalMs?: number;
}

export class GuardRuntime {
  readonly queue: ControllerQueue;
  #controller: CallController;
  #draining = false;
  readonly #logger: Logger;
  readonly #sweeper: NodeJS.Timeout;

  constructor(controller: CallController, profile: Profile, logger: Logger, options: GuardRuntimeOptions = {}) {
    this.#controller = controller;
    this.#logger = logger;
    this.queue = new ControllerQueue(controller, profile.limits.fairShare, logger);
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 30_000);
    this.#sweeper.unref();
  }

  get controller(): CallController {
    return this.#controller;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** A reloaded profile: its controller decides new messages; calls in progress keep their state (same store). */
  reload(controller: CallController, profile: Profile): void {
    this.#controller = controller;
    this.queue.replace(controller, profile.limits.fairShare);
  }

  /** True for a request that opens a dialog or stands alone (no To tag). */
  isDialogCreating(req: SipRequest): boolean {
    return DIALOG_CREATING.has(req.method) && tagOf(getHeader(req, 'To')) === null;
  }

  /** While draining, the 503 a dialog-creating request gets (RFC 3261 21.5.4); otherwise null. */
  refusalWhileDraining(req: SipRequest): SipResponse | null {
    if (!this.#draining || !this.isDialogCreating(req)) {
      return null;
    }
    return responseOnLeg(echoHeaders(req), 503, reasonPhrase(503), 'dcg-drain', [{ name: 'Retry-After', value: '5' }]);
  }

  /**
   * Starts draining and waits until `busy()` says nothing is in progress, or `graceMs` passed;
   * the sweep stops. The front end closes its stack afterwards, then calls `close()`.
   */
  async drain(graceMs: number, busy: () => boolean): Promise<void> {
    this.#draining = true;
    clearInterval(this.#sweeper);
    const deadline = Date.now() + graceMs;
    while (busy() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.queue.close();
  }

  #sweep(): void {
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
