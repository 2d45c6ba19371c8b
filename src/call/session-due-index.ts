/**
 * When each call this instance wrote next runs out of its session timer (RFC 4028), so the
 * periodic sweep finds the calls to end without reading every call of the store, and without
 * a timer per call. A hint, never the truth: the sweep reads the call again and ends it only
 * if its stored state says the session is over (another instance may have seen the refresh).
 * Kept per store, so a reloaded profile's controller keeps the calls of the one before.
 * Limits: a call another instance wrote last is in that instance's index; one that was last
 * written by an instance that has since stopped is left to the idle sweep of the store.
 */
import type { CallStore } from '../state/call-store.ts';

export class SessionDueIndex {
  readonly #due = new Map<string, number>();

  /** The call is next due at `at` (null: it has no session timer, or it is gone). */
  note(callId: string, at: number | null): void {
    if (at === null) {
      this.#due.delete(callId);
    } else {
      this.#due.set(callId, at);
    }
  }

  /** The calls due by `now`, soonest first. */
  dueBy(now: number): string[] {
    const due: [string, number][] = [];
    for (const entry of this.#due) {
      if (entry[1] <= now) {
        due.push(entry);
      }
    }
    return due.sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }

  get size(): number {
    return this.#due.size;
  }
}

const BY_STORE = new WeakMap<CallStore, SessionDueIndex>();

/** The index of the calls written to `store` by this process. */
export function dueIndexOf(store: CallStore): SessionDueIndex {
  let index = BY_STORE.get(store);
  if (index === undefined) {
    index = new SessionDueIndex();
    BY_STORE.set(store, index);
  }
  return index;
}
