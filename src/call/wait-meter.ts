/**
 * The time a controller decision spends waiting on a shared store (Redis), told to whoever
 * schedules decisions (src/front/fair-share.ts): while one decision waits, others may run, and a
 * peer's queue is charged only the time its decisions computed, not the round trips they waited.
 */
export interface WaitMeter {
  /** `pending`, with the time until it settles counted as waiting. */
  wait<T>(pending: Promise<T>): Promise<T>;
}

/** For callers that schedule nothing (`dc-guard check`, tests): waits are not counted. */
export const UNMETERED: WaitMeter = { wait: (pending) => pending };
