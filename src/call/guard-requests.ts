/**
 * The in-dialog requests the guard makes itself (RFC 3261 12.2.1.1): built from a leg's state as
 * any request the guard sends on it, with that leg's Call-ID, tags, route set and remote target,
 * a fresh Via branch and Max-Forwards, and sent where an in-dialog request on that leg may go
 * (leg-destination.ts: toward an untrusted peer only its own addresses).
 */
import type { LegState } from '../state/call-state.ts';
import type { LegDraft } from './call-draft.ts';
import type { OriginatedRequest } from './controller-outcome.ts';
import { inDialogDestination } from './leg-destination.ts';
import { requestOnLeg } from './sip-builders.ts';
import type { StepContext } from './step-context.ts';

const MAX_FORWARDS = 70;

/** The ACK of a 2xx on `leg` (CSeq number of its INVITE, 13.2.2.4): no body, since the guard answers no offer here. */
export function ackOnLeg(ctx: StepContext, leg: LegState, inviteCseq: number): OriginatedRequest {
  return onLeg(ctx, leg, 'ACK', inviteCseq);
}

/** A BYE on `leg` with the next CSeq of the guard's side of it (the draft's counter moves on). */
export function byeOnLeg(ctx: StepContext, leg: LegDraft): OriginatedRequest {
  leg.localCseq += 1;
  return onLeg(ctx, leg, 'BYE', leg.localCseq);
}

function onLeg(ctx: StepContext, leg: LegState, method: string, cseq: number): OriginatedRequest {
  const request = requestOnLeg(leg, {
    method,
    uri: leg.remoteTarget,
    via: ctx.self.via(ctx.ids.branch()),
    maxForwards: MAX_FORWARDS,
    routes: leg.routeSet,
    cseq,
    contact: null,
    copied: [],
    body: '',
  });
  return { to: { peerId: leg.peerId, uri: inDialogDestination(leg, ctx.peers) }, request };
}
