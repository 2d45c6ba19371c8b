import type { ControllerOutcome } from '../call/controller-outcome.ts';
import type { Profile } from '../profile/profile-types.ts';

/** Which RFC 3261 timer ended a transaction without its answer: B (INVITE), F (non-INVITE), H (no ACK for a final). */
export type TransactionTimer = 'B' | 'F' | 'H';

/**
 * What the guard's runtime reports as it works (src/front/guard-runtime.ts); the metrics
 * (guard-metrics.ts) are one observer. Called on the hot path: must not throw or block.
 */
export interface GuardObserver {
  /** The profile in force: at start and after each reload (its peer ids bound the metrics' labels). */
  profile(profile: Profile): void;
  /** One controller decision about a request (`inbound: 'request'`) or a downstream response. */
  decision(outcome: ControllerOutcome, inbound: 'request' | 'response'): void;
  /** A message handled from arrival to acted on (decision made and sent on, answered or dropped). */
  handled(inbound: 'request' | 'response', method: string, ms: number): void;
  /** A request the runtime answered itself before any decision: 503 while draining, or its sender over its queue. */
  refused(why: 'draining' | 'queue-full'): void;
  /** A transaction timer fired (the embedded transaction layer). */
  transactionTimeout(timer: TransactionTimer): void;
}
