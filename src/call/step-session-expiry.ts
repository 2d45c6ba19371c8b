/**
 * A call whose session timer ran out (RFC 4028 10): no refresh came within the interval the
 * last 2xx settled on, so the session is over whatever the peers believe. Left alone it would
 * live on, counting against its peers' `concurrent_calls`, until the idle sweep hours later (a
 * lost BYE, a vanished UA). The guard ends every hop of the call: a BYE on both legs of each
 * confirmed hop, each hop ended, so the controller deletes the call. Pure like every step: the
 * call in, the next state and what to send out.
 */
import type { Reason } from '../policy/reason.ts';
import type { CallState, HopState } from '../state/call-state.ts';
import { draftOf, settle } from './call-draft.ts';
import type { ControllerOutcome, OriginatedRequest } from './controller-outcome.ts';
import { byeOnLeg } from './guard-requests.ts';
import type { StepContext } from './step-context.ts';

export interface SessionExpiry {
  readonly next: CallState;
  readonly outcome: ControllerOutcome;
}

/** The first time a hop of `call` runs out of its session, or null when none has a timer. */
export function sessionDueAt(call: CallState): number | null {
  let due: number | null = null;
  for (const hop of call.hops) {
    if (hop.phase === 'confirmed' && hop.sessionTimer !== undefined && (due === null || hop.sessionTimer.expiresAt < due)) {
      due = hop.sessionTimer.expiresAt;
    }
  }
  return due;
}

/** The call ended at `now`, or null when no hop's session has run out (a refresh came meanwhile). */
export function stepSessionExpiry(ctx: StepContext, call: CallState, now: number): SessionExpiry | null {
  const expired = call.hops.filter((h): h is HopState & { sessionTimer: NonNullable<HopState['sessionTimer']> } => h.phase === 'confirmed' && h.sessionTimer !== undefined && h.sessionTimer.expiresAt <= now);
  const first = expired[0];
  if (first === undefined) {
    return null;
  }
  const draft = draftOf(call);
  const originate: OriginatedRequest[] = [];
  for (const hop of draft.hops) {
    if (hop.phase === 'confirmed') {
      originate.push(byeOnLeg(ctx, hop.upstream), byeOnLeg(ctx, hop.downstream));
    }
    // An early hop of the same call (rare) is ended with it: nothing confirmed to hang up there.
    hop.phase = 'ended';
    hop.endedByBye = true;
    hop.transactions = {};
  }
  const { intervalSec, refresher } = first.sessionTimer;
  // The refresher's peer is who let the session run out.
  const late = first[refresher].peerId ?? 'unknown';
  const reason: Reason = { code: 'session.expired', peer: late, detail: `no refresh within the ${intervalSec} s session interval (refresher: ${late})` };
  const outcome: ControllerOutcome = {
    kind: 'drop',
    report: { call: call.id, from: 'guard', initiator: null, message: 'BYE', action: 'drop', status: null, reasons: [reason], wouldHave: null },
    originate,
  };
  return { next: settle(draft, now), outcome };
}
