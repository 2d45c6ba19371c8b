import type { CallState } from './call-state.ts';

/** An INVITE unanswered this long is gone (RFC 3261 Timer C is "greater than 3 minutes"). */
export const EARLY_IDLE_MS = 200_000;
/** A confirmed call silent this long is treated as lost: IMS session timers refresh far more often. */
export const CONFIRMED_IDLE_MS = 4 * 3_600_000;

/** How long a call stays without another message: a shared store's keys expire after it. */
export function idleLimitOf(call: CallState, limits: { readonly early: number; readonly confirmed: number }): number {
  return call.hops.some((h) => h.phase === 'confirmed') ? limits.confirmed : limits.early;
}

/** Peers with a leg in a hop that has not ended: the calls a peer has up, for `limits.concurrent_calls`. */
export function livePeersOf(call: CallState): Set<string> {
  const peers = new Set<string>();
  for (const hop of call.hops) {
    if (hop.phase === 'ended') {
      continue;
    }
    for (const leg of [hop.upstream, hop.downstream]) {
      if (leg.peerId !== null) {
        peers.add(leg.peerId);
      }
    }
  }
  return peers;
}
