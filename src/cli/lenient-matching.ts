/**
 * `dc-guard check` only: a message whose identifiers match nothing is matched to the newest leg
 * that accepts it, and a response to the newest transaction of its method, so operators can
 * write message files by hand without knowing the Call-IDs and tags the guard generated.
 */
import type { CallState } from '../state/call-state.ts';
import type { Located, LegMatching } from '../call/leg-matching.ts';
import { latestTransaction } from '../call/partner-hops.ts';
import type { CallStore } from '../state/call-store.ts';

export const LENIENT_MATCHING: LegMatching = {
  fallbackLeg(store, accepts) {
    const all = (store as CallStore & { all?: () => Iterable<CallState> }).all?.() ?? [];
    let newest: Located | null = null;
    for (const call of all) {
      call.hops.forEach((hop, hopIndex) => {
        for (const side of ['upstream', 'downstream'] as const) {
          if (accepts(hop, side)) {
            newest = { call, hop: hopIndex, side };
          }
        }
      });
    }
    return newest;
  },
  fallbackTransaction: latestTransaction,
};
