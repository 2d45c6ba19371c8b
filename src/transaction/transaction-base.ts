/**
 * What the four RFC 3261 17 state machines share: the one transition function that refuses
 * moves the RFC does not allow, timer bookkeeping on the injected Scheduler, sending with
 * transport errors turned into a callback, and calls into the TU that cannot throw back.
 */
import type { SipMessage } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import type { TimerHandle } from './scheduler.ts';
import type { TransactionContext } from './transaction-context.ts';

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A running retransmission timer (see TransactionBase.retransmit). */
export interface Retransmission {
  stop(): void;
}

export abstract class TransactionBase<S extends string> {
  readonly id: string;
  protected readonly ctx: TransactionContext;
  private current: S;
  private readonly moves: Readonly<Record<S, readonly S[]>>;

  protected constructor(id: string, initial: S, moves: Readonly<Record<S, readonly S[]>>, ctx: TransactionContext) {
    this.id = id;
    this.current = initial;
    this.moves = moves;
    this.ctx = ctx;
  }

  get state(): S {
    return this.current;
  }

  get terminated(): boolean {
    return this.current === 'terminated';
  }

  /** Clears every running timer (on Terminated, and when the layer closes). */
  abstract stopTimers(): void;

  /** The transport could not send one of this transaction's messages (17.1.4 / 17.2.4). */
  protected abstract transportFailed(err: Error): void;

  /**
   * Moves to `next` when the state diagram allows it; otherwise reports and stays. Reaching
   * Terminated stops all timers and removes the transaction from the layer.
   */
  protected transition(next: S): boolean {
    const from = this.current;
    if (!this.moves[from].includes(next)) {
      this.ctx.report('illegal-transition', `${this.constructor.name} ${this.id}: ${from} -> ${next} refused`);
      return false;
    }
    this.current = next;
    if ((next as string) === 'terminated') {
      this.stopTimers();
      this.ctx.terminated(this);
    }
    return true;
  }

  /**
   * For the timers whose only job is to end the transaction (D, I, J, K, L, M): terminate when
   * it fires in `state`; in any other state it is stale and does nothing.
   */
  protected endIn(state: S): void {
    if (this.current === state) {
      this.transition('terminated' as S);
    }
  }

  /** Arms a timer whose handler cannot throw into the scheduler. */
  protected setTimer(ms: number, fn: () => void): TimerHandle {
    return this.ctx.scheduler.set(ms, () => {
      try {
        fn();
      } catch (err) {
        this.ctx.report('internal-error', `${this.constructor.name} ${this.id} timer: ${describe(err)}`);
      }
    });
  }

  /**
   * A retransmission timer (Timers A, E, G and the 2xx's, RFC 3261 17.1.1.2, 17.1.2.2, 17.2.1,
   * 13.3.1.4), written once: it fires after `first`, then after `next(interval)` each time, for
   * as long as `fire` (which sends) says the state still wants it.
   */
  protected retransmit(first: number, next: (interval: number) => number, fire: () => boolean): Retransmission {
    let interval = first;
    let handle: TimerHandle | null = null;
    let stopped = false;
    const arm = (): void => {
      handle = this.setTimer(interval, () => {
        handle = null;
        if (stopped || !fire()) {
          return;
        }
        interval = next(interval);
        arm();
      });
    };
    arm();
    return {
      stop: () => {
        stopped = true;
        handle = this.clearTimer(handle);
      },
    };
  }

  /** Clears a timer if set; returns null for `this.timerX = this.clearTimer(this.timerX)`. */
  protected clearTimer(handle: TimerHandle | null): null {
    if (handle !== null) {
      this.ctx.scheduler.clear(handle);
    }
    return null;
  }

  /** Hands a message to the transport; a failure reaches `transportFailed` unless already Terminated. */
  protected transmit(message: SipMessage, to: Endpoint, connectionId: string | null): void {
    let sending: Promise<void>;
    try {
      sending = this.ctx.send(message, to, connectionId);
    } catch (err) {
      sending = Promise.reject(err instanceof Error ? err : new Error(describe(err)));
    }
    sending.then(undefined, (err: unknown) => {
      if (!this.terminated) {
        try {
          this.transportFailed(err instanceof Error ? err : new Error(describe(err)));
        } catch (e) {
          this.ctx.report('internal-error', `${this.constructor.name} ${this.id}: ${describe(e)}`);
        }
      }
    });
  }

  /** Calls into the TU; what it throws is reported, never propagated into sockets or timers. */
  protected notify(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ctx.report('tu-error', `${what} (${this.id}): ${describe(err)}`);
    }
  }
}
