/**
 * A shared store that did not answer (connection down, command slower than
 * `state.command_timeout_ms`, an error reply). The controller redoes its step on the store's
 * local copy, with the step told the store is down, so `guard.fail` decides what goes on.
 */
export class StoreUnavailableError extends Error {
  readonly op: string;

  constructor(op: string, cause: string) {
    super(`state store unavailable (${op}): ${cause}`);
    this.name = 'StoreUnavailableError';
    this.op = op;
  }
}

/** Told of every store command: how long it took and whether it failed (metrics hang on it). */
export type StoreObserver = (op: string, ms: number, failed: boolean) => void;
