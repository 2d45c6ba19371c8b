/**
 * The clock the transaction layer runs on, injected so the RFC 3261 timers (tens of seconds)
 * can be tested in fake time: `realScheduler` in production, a fake one in tests (test/helpers/fake-scheduler.ts).
 */

declare const timerBrand: unique symbol;

/** An opaque handle for `Scheduler.clear`. */
export interface TimerHandle {
  readonly [timerBrand]: true;
}

export interface Scheduler {
  /** Calls `fn` once after `ms` milliseconds. */
  set(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clear(handle: TimerHandle): void;
  /** Milliseconds on this scheduler's clock. */
  now(): number;
}

/** setTimeout/clearTimeout and Date.now. */
export const realScheduler: Scheduler = {
  set(ms: number, fn: () => void): TimerHandle {
    return setTimeout(fn, ms) as unknown as TimerHandle;
  },
  clear(handle: TimerHandle): void {
    clearTimeout(handle as unknown as ReturnType<typeof setTimeout>);
  },
  now(): number {
    return Date.now();
  },
};
