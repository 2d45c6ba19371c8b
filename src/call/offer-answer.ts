/**
 * SDP offers and answers of one message through the verdict engine (RFC 3264): every SDP part
 * of a message is policed (one verdict each, on the same baseline) and rewritten in place with
 * what the verdict applies. One path for every carrier: INVITE, re-INVITE, UPDATE, 18x/2xx,
 * ACK and PRACK.
 */
import type { Actor } from '../policy/actor.ts';
import type { BodyAdmission } from '../policy/body-admission.ts';
import type { Reason } from '../policy/reason.ts';
import type { Verdict, WouldHave } from '../policy/verdict.ts';
import { agreedSession } from '../sdp/dc-rewrite.ts';
import { readSdp, readSdpOrNull } from '../sdp/read-sdp.ts';
import type { SdpView } from '../sdp/sdp-types.ts';
import { mapSdpParts, setSdpBody } from '../sip/sdp-body.ts';
import type { SipMessage } from '../sip/sip-message.ts';
import type { SentOffer } from '../state/call-state.ts';
import type { CallDraft } from './call-draft.ts';
import { commitOwnership } from './dc-ownership.ts';
import type { StepContext } from './step-context.ts';

/** Where an offer stands: its method, whether it creates the dialog, what it is compared with, and whether the state store is down. */
export interface OfferContext {
  readonly method: string;
  readonly initial: boolean;
  readonly baseline: string | null;
  readonly storeDown: boolean;
}

/** The offer an answer answers: what the guard sent, and the DCs it would create. */
export type AnsweredOffer = Pick<SentOffer, 'sdp' | 'created' | 'openedMedia'>;

export interface PolicedOffer {
  readonly verdict: Verdict;
  readonly wouldHave: WouldHave | null;
}

export interface PolicedAnswer {
  readonly reasons: readonly Reason[];
  readonly wouldHave: WouldHave | null;
  /** The session both sides agreed on (offer and answer together), or null when it is not known. */
  readonly agreed: string | null;
}

/**
 * Every SDP part of `msg` policed as an offer: the parts are rewritten in place, and one verdict
 * stands for them all (a refusal of any refuses the offer). Null when `msg` has no SDP.
 */
export function policeOffer(
  ctx: StepContext,
  call: CallDraft,
  initiator: Actor,
  msg: SipMessage,
  offer: OfferContext,
): PolicedOffer | null {
  const verdicts: Verdict[] = [];
  let wouldHave: WouldHave | null = null;
  mapSdpParts(msg, (sdp) => {
    const verdict = decideOffer(ctx, call, initiator, sdp, offer);
    wouldHave ??= verdict.wouldHave;
    verdicts.push(verdict);
    return verdict.applied.sdp ?? sdp;
  });
  const [first, ...others] = verdicts;
  if (first === undefined) {
    return null;
  }
  if (others.length === 0) {
    return { verdict: first, wouldHave };
  }
  const refusal = verdicts.find((v) => v.applied.action === 'reject');
  const reasons = [...first.reasons, ...others.flatMap((v) => v.reasons)];
  const decided = refusal ?? first;
  return {
    verdict: { ...decided, reasons, applied: { ...decided.applied, created: first.applied.created, openedMedia: first.applied.openedMedia } },
    wouldHave,
  };
}

/**
 * Every SDP part of `msg` policed as an answer to `offer`. A body the guard cannot admit from
 * the answerer is replaced by an answer written on its behalf, every m-line refused. With
 * `commit`, the DCs the offer created are recorded as their initiator's once the answer keeps them.
 */
export function policeAnswer(
  ctx: StepContext,
  call: CallDraft,
  offer: AnsweredOffer,
  msg: SipMessage,
  answer: { readonly answerer: Actor; readonly commit: boolean; readonly admitted: BodyAdmission; readonly relayed: string | null },
): PolicedAnswer {
  const { admitted } = answer;
  if (!admitted.ok) {
    const answered = decideAnswer(ctx, call, offer, '', answer);
    setSdpBody(msg, answered.body);
    return { reasons: [admitted.reason, ...answered.reasons], wouldHave: answered.wouldHave, agreed: answered.agreed };
  }
  const reasons: Reason[] = [...admitted.reasons];
  let wouldHave: WouldHave | null = null;
  let agreed: string | null = null;
  mapSdpParts(msg, (sdp, i) => {
    const answered = decideAnswer(ctx, call, offer, sdp, { ...answer, commit: answer.commit && i === 0 });
    reasons.push(...answered.reasons);
    wouldHave ??= answered.wouldHave;
    agreed ??= answered.agreed;
    return answered.body;
  });
  return { reasons, wouldHave, agreed };
}

function decideAnswer(
  ctx: StepContext,
  call: CallDraft,
  offer: AnsweredOffer,
  body: string,
  answer: { readonly answerer: Actor; readonly commit: boolean; readonly relayed: string | null },
): PolicedAnswer & { readonly body: string } {
  const forwardedOffer = readSdpOrNull(offer.sdp);
  let view: SdpView | null = null;
  let unreadable: string | undefined;
  try {
    view = readSdp(body);
  } catch (error) {
    unreadable = (error as Error).message;
  }
  const verdict = ctx.engine.decide({
    kind: 'answer',
    forwardedOffer,
    answer: view,
    answerRaw: body,
    ...(unreadable === undefined ? {} : { unreadable }),
    answerer: answer.answerer,
    origin: ctx.self.sdpAddress(),
    relayed: answer.relayed === null ? null : readSdpOrNull(answer.relayed),
  });
  const out = verdict.applied.sdp ?? body;
  let agreed: string | null = null;
  if (answer.commit) {
    const committed = readSdpOrNull(out);
    if (committed !== null) {
      commitOwnership(call, offer, committed);
      agreed = forwardedOffer === null ? null : agreedSession(forwardedOffer, committed);
    }
  }
  return { body: out, reasons: verdict.reasons, wouldHave: verdict.wouldHave, agreed };
}

/** The engine's verdict on one SDP offer, compared with what the initiator's side had before. */
function decideOffer(
  ctx: StepContext,
  call: CallDraft,
  initiator: Actor,
  body: string,
  offer: OfferContext,
): Verdict {
  let sdp: SdpView;
  try {
    sdp = readSdp(body);
  } catch (error) {
    return ctx.engine.decide({ kind: 'unreadable-sdp', initiator, raw: body, detail: (error as Error).message });
  }
  return ctx.engine.decide({
    kind: 'offer',
    method: offer.method,
    initial: offer.initial,
    initiator,
    sdp,
    // A baseline the guard could not read counts as nothing: everything in the offer is new.
    baseline: offer.baseline === null ? null : readSdpOrNull(offer.baseline),
    owners: call.owners,
    mediaOwners: call.mediaOwners,
    servedUsers: call.servedUsers,
    storeDown: offer.storeDown,
  });
}
