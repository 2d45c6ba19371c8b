/**
 * A 2xx to the guard's INVITE from a second fork (RFC 3261 13.2.2.4, 16.7): another To tag
 * after a first 2xx confirmed the hop. The caller already has its dialog; relaying this one
 * would give it a second, and dropping it leaves the fork's UAS retransmitting it until its
 * Timer L (32 s) and then believing in a call nobody has. So the guard, as the UAC of that leg,
 * ACKs it and at once ends the fork's dialog with BYE (`sip.forked_answers: end`). Nothing of
 * it is stored: the fork's dialog lives for those two requests only.
 */
import type { Sender } from '../policy/sender.ts';
import type { CSeq } from '../sip/cseq.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { getHeader, getHeaderValues } from '../sip/sip-headers.ts';
import type { SipResponse } from '../sip/sip-message.ts';
import type { LegState } from '../state/call-state.ts';
import { ackOnLeg, byeOnLeg } from './guard-requests.ts';
import type { Located } from './leg-matching.ts';
import { contactUri, dropOutcome, unchanged, type ReportBase, type StepContext, type StepResult } from './step-context.ts';

/** The step for a later fork's 2xx, or null when `res` is not one (the response path goes on). */
export function stepForkedAnswer(ctx: StepContext, res: SipResponse, cseq: CSeq, sender: Sender, located: Located, base: ReportBase): StepResult | null {
  const hop = located.call.hops[located.hop];
  if (hop === undefined || cseq.method !== 'INVITE' || res.status < 200 || res.status >= 300 || hop.phase !== 'confirmed') {
    return null;
  }
  const leg = hop[located.side];
  const toTag = tagOf(getHeader(res, 'To'));
  if (toTag === null || leg.remoteTag === null || toTag === leg.remoteTag || cseq.seq !== leg.inviteCseq) {
    return null;
  }
  // The fork's own dialog (12.1.2): the leg's identifiers with this 2xx's tag, Contact and Record-Route.
  const fork: LegState = {
    ...leg,
    remoteTag: toTag,
    remoteTarget: contactUri(res) ?? leg.remoteTarget,
    routeSet: getHeaderValues(res, 'Record-Route').reverse(),
    localCseq: cseq.seq,
  };
  const ack = ackOnLeg(ctx, fork, cseq.seq);
  const bye = byeOnLeg(ctx, { ...fork });
  const outcome = dropOutcome({ ...base, call: located.call.id, initiator: leg.peerId ?? sender.label }, [
    { code: 'dialog.forked-answer', peer: leg.peerId ?? sender.label, detail: 'a 2xx from another fork of an answered INVITE: ACKed and ended with BYE' },
  ]);
  return unchanged(located.call, { ...outcome, originate: [ack, bye] });
}
