/**
 * The verdict on an SDP answer (RFC 3264 6, TS 26.114 6.2.10.3): it is aligned to the offer the
 * guard forwarded on that leg, never to what a peer sent, and an untrusted answerer is held to
 * echoing every channel it accepts (answer-integrity.ts). Its own module so the offer rules in
 * verdict-engine.ts and the answer rules can each be read whole.
 */
import type { Profile } from '../profile/profile-types.ts';
import { alignAnswer, type AlignedAnswer, applyDcEdits } from '../sdp/dc-rewrite.ts';
import { readSdpOrNull } from '../sdp/read-sdp.ts';
import { keepSdpLines, refuseDcMediaInText } from '../sdp/refuse-dc-media-in-text.ts';
import { answerRefusingDc } from '../sdp/refusing-answer.ts';
import type { SdpView } from '../sdp/sdp-types.ts';
import type { Actor } from './actor.ts';
import type { PolicyOutcome } from './monitor-mode.ts';
import type { Reason } from './reason.ts';
import type { AnswerFacts } from './verdict-facts.ts';

/**
 * An answer is aligned to the offer the guard forwarded (RFC 3264 6). One the guard cannot
 * verify (unreadable, or another m-line count) from an untrusted answerer does not reach the
 * offerer as it came under fail-closed: the guard answers on its behalf with every DC m-line
 * refused (see refusing-answer.ts). A trusted answerer's, or any under fail-open, passes.
 * A channel an untrusted answerer changed in what an answer may not change is refused
 * (`dc.answer-app-changed`), whatever the fail mode: that is a redirect, not a doubt.
 */
export function decideAnswer(facts: AnswerFacts, fail: Profile['guard']['fail']): PolicyOutcome {
  const failOpen = facts.answerer.trusted || fail === 'open';
  const peer = facts.answerer.id;
  const reasons: Reason[] = [];
  const offer = facts.forwardedOffer;
  if (offer === null) {
    if (failOpen) {
      return forward(reasons, null);
    }
    reasons.push({ code: 'sdp.answer-unverifiable', peer, detail: 'answer to an offer the guard could not read: its DC m-lines refused' });
    return forward(reasons, refuseDcMediaInText(facts.answerRaw));
  }
  let answer = facts.answer;
  if (answer === null) {
    reasons.push({ code: 'sdp.unparseable', peer, detail: facts.unreadable ?? 'unreadable answer' });
    if (failOpen) {
      return forward(reasons, null);
    }
    // What the guard cannot read does not pass: without those lines the answer may still be verified.
    answer = readSdpOrNull(keepSdpLines(facts.answerRaw));
    if (answer === null) {
      reasons.push({ code: 'sdp.answer-unverifiable', peer, detail: 'answered on its behalf with every m-line refused' });
      return forward(reasons, answerRefusingDc(offer, null, facts.origin));
    }
  }
  const aligned = alignAnswer(offer, answer, { strict: !facts.answerer.trusted });
  if (aligned.problem !== null) {
    reasons.push({ code: 'sdp.mline-count', peer, detail: aligned.problem });
    if (failOpen) {
      return forward(reasons, aligned.raw);
    }
    reasons.push({ code: 'sdp.answer-unverifiable', peer, detail: 'answered on its behalf with every DC m-line refused' });
    return forward(reasons, answerRefusingDc(offer, answer, facts.origin));
  }
  return capAnswerBandwidth(facts.answerer, [offer, facts.relayed ?? null], [...reasons, ...alignmentReasons(aligned, peer)], aligned.raw);
}

/**
 * An untrusted answerer's DC m-lines are held to its bandwidth grant: a QoS reservation follows
 * the answer's b=AS too. An answer may go as high as its grant, the offer, or what the guard
 * sent it on the other hop (it may be relaying the other side's answer), not higher. An answer
 * without b=AS takes the offer's (RFC 3264 6.1 leaves it out often), so it is let be.
 */
function capAnswerBandwidth(answerer: Actor, references: readonly (SdpView | null)[], reasons: Reason[], raw: string): PolicyOutcome {
  const cap = answerer.grants.maxBandwidthKbps;
  const view = answerer.trusted || cap === null ? null : readSdpOrNull(raw);
  if (view === null || cap === null) {
    return forward(reasons, raw);
  }
  const limitAt = (index: number): number =>
    Math.max(cap, ...references.map((ref) => ref?.dcMedia.find((m) => m.index === index)?.bandwidthKbps ?? cap));
  const over = view.dcMedia.filter((m) => m.port !== 0 && m.bandwidthKbps !== null && m.bandwidthKbps > limitAt(m.index));
  for (const media of over) {
    reasons.push({
      code: 'dc.cap-bandwidth',
      peer: answerer.id,
      mediaIndex: media.index,
      detail: `answer b=AS:${media.bandwidthKbps ?? '?'} over cap ${cap} and over what was offered`,
    });
  }
  return forward(reasons, over.length === 0 ? raw : applyDcEdits(view, { refuseMedia: over.map((m) => m.index), removeChannels: [] }));
}

function alignmentReasons(aligned: AlignedAnswer, peer: string): Reason[] {
  const reasons: Reason[] = [];
  for (const mediaIndex of aligned.refusedMedia) {
    reasons.push({ code: 'dc.answer-port-refused', mediaIndex });
  }
  for (const ref of aligned.removedChannels) {
    reasons.push({ code: 'dc.answer-not-offered', mediaIndex: ref.mediaIndex, streamId: ref.streamId });
  }
  for (const ref of aligned.changedChannels) {
    reasons.push({ code: 'dc.answer-app-changed', peer, mediaIndex: ref.mediaIndex, streamId: ref.streamId, detail: ref.detail });
  }
  for (const edit of aligned.integrity) {
    reasons.push({ code: edit.kind === 'changed' ? 'dc.answer-app-changed' : 'dc.answer-not-offered', peer, mediaIndex: edit.mediaIndex, detail: edit.detail });
  }
  return reasons;
}

function forward(reasons: readonly Reason[], sdp: string | null): PolicyOutcome {
  return { action: 'forward', status: null, reasons, sdp, created: [], openedMedia: [] };
}
