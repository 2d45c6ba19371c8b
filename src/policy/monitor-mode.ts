/**
 * Monitor mode, resolved in one place: a verdict says what the guard applies and what enforce
 * mode would have done, so no caller ever asks which mode the guard runs in.
 */
import type { GuardMode } from '../profile/profile-types.ts';
import type { AppliedVerdict, Verdict, WouldHave } from './verdict.ts';

/** What policy decided, before the mode says what of it is applied. */
export type PolicyOutcome = Omit<Verdict, 'enforced' | 'applied' | 'wouldHave'>;

/** Monitor mode: the message goes on as it came, and nothing it adds is anyone's. */
const PASS_UNCHANGED: AppliedVerdict = Object.freeze({ action: 'forward', status: null, sdp: null, created: Object.freeze([]), openedMedia: Object.freeze([]) });

export function withMode(outcome: PolicyOutcome, mode: GuardMode, original: string | null): Verdict {
  // Written out, not spread: outcomes come in many shapes, and a spread of them was a tenth of an INVITE's policy time.
  const { action, status, reasons, sdp, created, openedMedia } = outcome;
  if (mode === 'enforce') {
    // What is decided is what is applied: the outcome is its own applied part.
    return { action, status, reasons, sdp, created, openedMedia, enforced: true, applied: outcome, wouldHave: null };
  }
  return { action, status, reasons, sdp, created, openedMedia, enforced: false, applied: PASS_UNCHANGED, wouldHave: differenceFromEnforce(outcome, original) };
}

/** What enforce mode would have done that monitor mode did not, or null when it would have done the same. */
function differenceFromEnforce(outcome: PolicyOutcome, original: string | null): WouldHave | null {
  const sdpChanged = outcome.sdp !== null && outcome.sdp !== original;
  if (outcome.action === 'forward' && !sdpChanged) {
    return null;
  }
  return { action: outcome.action, status: outcome.status, sdpChanged };
}
