/**
 * A response to a request the guard forwarded: matched to its leg and transaction, its answer or
 * offer policed, relayed back on the leg the request came in on with that leg's identifiers.
 */
import { wrongPeer } from '../policy/leg-ownership.ts';
import type { Reason } from '../policy/reason.ts';
import type { Sender } from '../policy/sender.ts';
import { actorOfPeer } from '../policy/sender.ts';
import type { WouldHave } from '../policy/verdict.ts';
import { admitUntrustedHeaders } from '../privacy/header-allow-list.ts';
import { restoreIdentities } from '../privacy/identity-restorer.ts';
import { shieldIdentities } from '../privacy/identity-shield.ts';
import { refuseDcMediaInText } from '../sdp/refuse-dc-media-in-text.ts';
import type { CSeq } from '../sip/cseq.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { firstSdp, isSdpBody, mapSdpParts, removeBodyParts } from '../sip/sdp-body.ts';
import { getHeader, getHeaderValues } from '../sip/sip-headers.ts';
import type { SipResponse } from '../sip/sip-message.ts';
import { transactionKey, type SentOffer } from '../state/call-state.ts';
import { admitMessageBody } from './body-check.ts';
import { draftOf, forgetTransaction, hopOf, settle, type HopDraft } from './call-draft.ts';
import type { Located } from './leg-matching.ts';
import { flowFrom, shieldContext } from './leg-privacy.ts';
import { answerReceived, awaitedOffer, lastSent, offerClosed, sentOffer, sentOtherSdp } from './leg-negotiation.ts';
import { policeAnswer, policeOffer } from './offer-answer.ts';
import { stampOrigin } from './origin-stamp.ts';
import { negotiatedSession } from './session-timer.ts';
import { stepForkedAnswer } from './step-forked-answer.ts';
import { partnerSdpSentTo } from './partner-hops.ts';
import { capabilitySignals, grantsCapabilities } from './contact-features.ts';
import { endToEndHeaders, reasonPhrase, responseOnLeg } from './sip-builders.ts';
import { contactUri, dropOutcome, reportOf, unchanged, type ReportBase, type StepContext, type StepFacts, type StepResult } from './step-context.ts';

export function stepResponse(ctx: StepContext, facts: StepFacts, res: SipResponse, cseq: CSeq, sender: Sender, located: Located | null, base: ReportBase): StepResult {
  const drop = (reasons: Reason[]): StepResult => unchanged(located?.call ?? null, dropOutcome(base, reasons));
  const hopState = located === null ? undefined : located.call.hops[located.hop];
  if (located === null || hopState === undefined) {
    return drop([{ code: 'dialog.unknown', detail: 'response matches no request the guard sent' }]);
  }
  const { side } = located;
  // Identifiers prove nothing: only the peer this leg faces may answer on it (a 486 copied
  // from another call's callee leg must not end that call).
  const intruder = wrongPeer(hopState[side], sender, { kind: 'response' });
  if (intruder !== null) {
    return drop([intruder]);
  }
  const forked = stepForkedAnswer(ctx, res, cseq, sender, located, base);
  if (forked !== null) {
    return forked;
  }
  const txn = hopState.transactions[transactionKey(side, cseq.seq, cseq.method)] ?? ctx.matching.fallbackTransaction(hopState, side, cseq.method);
  if (txn === undefined) {
    return drop([{ code: 'dialog.unknown', detail: 'response matches no open transaction' }]);
  }
  if (res.status === 100) {
    return drop([]); // 100 Trying is hop-by-hop (RFC 3261 16.7 step 5)
  }
  const call = draftOf(located.call);
  const hop = hopOf(call, located.hop);
  const leg = hop[side];
  const report = { ...base, call: call.id };
  const toTag = tagOf(getHeader(res, 'To'));
  if (toTag !== null && (leg.remoteTag === null || hop.phase === 'early')) {
    leg.remoteTag = toTag;
  }
  if (cseq.method === 'INVITE' && res.status < 300 && hop.phase === 'early') {
    leg.remoteTarget = contactUri(res) ?? leg.remoteTarget;
    leg.routeSet = getHeaderValues(res, 'Record-Route').reverse();
  }

  const out: SipResponse = { kind: 'response', status: res.status, reason: res.reason, headers: [...res.headers], body: res.body };
  if (!leg.trusted) {
    // Allow-list first: the restorer then puts back the core's own identity headers.
    admitUntrustedHeaders(out, ctx.passHeaders);
    restoreIdentities(out, { issued: call.issued, originals: null, flow: flowFrom(side) });
  }
  if (res.status >= 200 && res.status < 300) {
    // RFC 4028 9: each 2xx to an INVITE or UPDATE sets (or, without Session-Expires, ends) the hop's session timer.
    const timer = negotiatedSession(cseq.method, out, ctx.profile.sip.minSe, facts.now, { uac: txn.inboundSide, uas: side });
    if (timer !== undefined) {
      hop.sessionTimer = timer;
    } else if (cseq.method === 'INVITE' || cseq.method === 'UPDATE') {
      if (hop.sessionTimer !== undefined) {
        delete hop.sessionTimer; // rare: a refresh that ends the timer
      }
    }
  }
  const reasons: Reason[] = [];
  let wouldHave: WouldHave | null = null;
  const answerer = actorOfPeer(leg.peerId === null ? undefined : ctx.peers.byId(leg.peerId));
  const admitted = admitMessageBody(ctx, out, answerer);
  const awaited = awaitedOffer(leg, { cseq: txn.outboundCseq, method: txn.method });
  const answersOffer = awaited !== null && (isSdpBody(out) || (!admitted.ok && res.status >= 200 && res.status < 300));
  let offerInResponse: Pick<SentOffer, 'created' | 'openedMedia'> & { readonly sdp: string | null } | null = null;
  if (answersOffer) {
    const relayed = partnerSdpSentTo(call, located.hop, leg.peerId);
    const answered = policeAnswer(ctx, call, awaited, out, { answerer, commit: res.status < 300, admitted, relayed });
    reasons.push(...answered.reasons);
    wouldHave = answered.wouldHave;
    if (res.status < 300) {
      // What was offered on this leg and not accepted is no baseline for the next offer.
      answerReceived(leg, answered.agreed, res.status >= 200);
    }
  } else if (!admitted.ok) {
    // A body the guard cannot vouch for that answers nothing: the response goes on without it.
    removeBodyParts(out, () => false);
    reasons.push(admitted.reason);
  } else if (isSdpBody(out) && txn.carriedOffer) {
    // The request's offer was answered already (early) and a new one has gone out on the leg
    // since: this SDP answers nothing the guard can check it against, and the offerer ignores it
    // (RFC 6337 3.1). From an untrusted peer it does not pass.
    if (!answerer.trusted) {
      removeBodyParts(out, () => false);
      reasons.push({ code: 'sdp.answer-unverifiable', peer: answerer.id, detail: 'SDP in a response whose offer was answered already' });
    }
  } else if (isSdpBody(out)) {
    // An offer in a response to an offerless INVITE: the answer comes in the ACK (RFC 3264 4).
    const baseline = hop.phase === 'early' ? partnerSdpSentTo(call, located.hop, leg.peerId) : lastSent(hop[txn.inboundSide]);
    const policed = policeOffer(ctx, call, answerer, out, { method: cseq.method, initial: hop.phase === 'early', baseline, storeDown: facts.storeDown === true });
    if (policed !== null) {
      if (policed.verdict.applied.action === 'reject') {
        // A response cannot be refused: its offer goes on with every DC m-line refused.
        mapSdpParts(out, (sdp) => refuseDcMediaInText(sdp));
      }
      reasons.push(...admitted.reasons, ...policed.verdict.reasons);
      wouldHave = policed.wouldHave;
      offerInResponse = { sdp: firstSdp(out), created: policed.verdict.applied.created, openedMedia: policed.verdict.applied.openedMedia };
    }
  }

  const backSide = txn.inboundSide;
  const back = hop[backSide];
  const caps = capabilitySignals(res, out, { senderTrusted: leg.trusted, receiverTrusted: back.trusted, capabilitiesGranted: grantsCapabilities(ctx, back) });
  const headers = caps.withFeatureHeaders(endToEndHeaders(out.headers));
  if ((cseq.method === 'INVITE' || cseq.method === 'UPDATE' || cseq.method === 'SUBSCRIBE') && res.status > 100 && res.status < 300) {
    headers.unshift({ name: 'Contact', value: ctx.self.contact(caps.contactParams) });
    if (cseq.method !== 'UPDATE' && tagOf(txn.echo.find((h) => h.name === 'To')?.value) === null) {
      // RFC 3261 12.1.1: a response that makes the dialog carries the request's Record-Route,
      // so the peer's in-dialog requests go back through the proxies that asked to stay in
      // the path (a dispatcher in front of several guards among them).
      headers.unshift(...back.routeSet.map((value) => ({ name: 'Record-Route', value })));
    }
  }
  // A reason phrase is free text (a name, a number): toward an untrusted peer, the standard one.
  const relayed = responseOnLeg(txn.echo, res.status, back.trusted ? res.reason : reasonPhrase(res.status), back.localTag, headers, out.body);
  if (!back.trusted) {
    shieldIdentities(relayed, shieldContext(ctx, call, back, backSide, false));
  }
  mapSdpParts(relayed, (sdp, i) => (i === 0 ? stampOrigin(back, sdp) : sdp));
  const relayedSdp = firstSdp(relayed);
  if (offerInResponse?.sdp != null) {
    sentOffer(back, { sdp: offerInResponse.sdp, answerIn: { kind: 'ack-or-prack' }, created: offerInResponse.created, openedMedia: offerInResponse.openedMedia });
  } else if (relayedSdp !== null) {
    sentOtherSdp(back, relayedSdp);
  }
  if (res.status >= 200 && awaited !== null) {
    // RFC 3264 8: a refused offer leaves the session as it was (offerClosed says what stands).
    offerClosed(leg, res.status);
  }
  if (res.status >= 200) {
    forgetTransaction(hop, transactionKey(side, txn.outboundCseq, txn.method));
    advancePhase(hop, cseq.method, res.status);
  }
  return {
    next: settle(call, facts.now),
    outcome: {
      kind: 'forward',
      to: { peerId: back.peerId, uri: back.target },
      message: relayed,
      report: reportOf(report, { initiator: leg.peerId ?? sender.label, action: 'forward', status: null, reasons, wouldHave }),
    },
    index: [],
    charge: null,
  };
}

/** What a final response does to its hop: a 2xx to INVITE confirms it, a failure of the INVITE or a BYE ends it. */
function advancePhase(hop: HopDraft, method: string, status: number): void {
  if (method === 'INVITE' && status < 300) {
    hop.phase = 'confirmed';
  }
  const endsHop = (method === 'INVITE' && status >= 300 && hop.phase === 'early') || method === 'BYE';
  if (method === 'BYE') {
    hop.endedByBye = true;
  }
  if (endsHop || (hop.phase === 'early' && method !== 'INVITE' && Object.keys(hop.transactions).length === 0)) {
    hop.phase = 'ended';
  }
}
