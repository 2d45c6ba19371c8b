import type { CallState } from '../state/call-state.ts';

/**
 * Live calls by state for `dcg_active_calls`: `confirmed` once any hop of the call has a
 * confirmed dialog, else `early` while one is being set up, else `ended` (kept until expiry).
 */
export function callsByState(calls: Iterable<CallState>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) {
    const phases = call.hops.map((hop) => hop.phase);
    const state = phases.includes('confirmed') ? 'confirmed' : phases.includes('early') ? 'early' : 'ended';
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}
