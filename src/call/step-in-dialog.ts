/**
 * A request inside a dialog the guard is in (a To tag of the guard's): re-INVITE, UPDATE, BYE,
 * ACK, PRACK, INFO, REFER... relayed to the other leg of its hop once its sender is shown to be
 * the leg's own peer and policy lets it through.
 */
import { ACCEPTED_BODY_TYPES } from '../policy/body-admission.ts';
import { initiatorOf } from '../policy/initiator.ts';
import { wrongPeer } from '../policy/leg-ownership.ts';
import { admitRate } from '../policy/peer-limits.ts';
import { admitInDialogWhileStoreDown, storeDownReason } from '../policy/store-down.ts';
import type { Reason } from '../policy/reason.ts';
import type { Sender } from '../policy/sender.ts';
import { actorOfPeer } from '../policy/sender.ts';
import type { Verdict, WouldHave } from '../policy/verdict.ts';
import { admitUntrustedHeaders } from '../privacy/header-allow-list.ts';
import { restoreIdentities } from '../privacy/identity-restorer.ts';
import { shieldIdentities, unmetCriticalPrivacy } from '../privacy/identity-shield.ts';
import type { Peer } from '../profile/profile-types.ts';
import { parseCSeq } from '../sip/cseq.ts';
import { firstSdp, isSdpBody, mapSdpParts, removeBodyParts } from '../sip/sdp-body.ts';
import { getHeader, removeHeader } from '../sip/sip-headers.ts';
import type { SipRequest } from '../sip/sip-message.ts';
import { otherSide, transactionKey, type SentOffer } from '../state/call-state.ts';
import { admitMessageBody } from './body-check.ts';
import { draftOf, hopOf, settle } from './call-draft.ts';
import { inDialogDestination } from './leg-destination.ts';
import type { Located } from './leg-matching.ts';
import { flowFrom, shieldContext } from './leg-privacy.ts';
import { answerReceived, awaitedOffer, lastSent, sentOffer, sentOtherSdp } from './leg-negotiation.ts';
import { policeAnswer, policeOffer } from './offer-answer.ts';
import { stampOrigin } from './origin-stamp.ts';
import { sessionIntervalRefusal } from './session-timer.ts';
import { partnerOfferFor, partnerSdpSentTo, relaysPartnerBye } from './partner-hops.ts';
import { capabilitySignals, grantsCapabilities } from './contact-features.ts';
import { echoHeaders, endToEndHeaders, requestOnLeg } from './sip-builders.ts';
import { refusalOutcome, reportOf, unchanged, type Refusal, type ReportBase, type StepContext, type StepFacts, type StepResult } from './step-context.ts';

const DEFAULT_MAX_FORWARDS = 70;

export function stepInDialog(ctx: StepContext, facts: StepFacts, req: SipRequest, sender: Sender, located: Located | null, base: ReportBase): StepResult {
  const state = located?.call ?? null;
  const refuse = (refusal: Refusal, charge: Peer | null = null): StepResult => unchanged(state, refusalOutcome(ctx, req, sender, refusal), charge);
  const hopState = located === null ? undefined : located.call.hops[located.hop];
  if (located === null || hopState === undefined) {
    return refuse({ status: 481, reasons: [{ code: 'dialog.unknown' }], report: base });
  }
  const { side } = located;
  const report = { ...base, call: located.call.id };
  const inviteCseq = parseCSeq(getHeader(req, 'CSeq') ?? '').seq;
  // Dialog identifiers prove nothing about who sent a request: only the leg's own peer may use it.
  const intruder = wrongPeer(hopState[side], sender, req.method === 'ACK' ? { kind: 'ack', cseq: inviteCseq } : { kind: 'request', method: req.method });
  if (intruder !== null) {
    return refuse({ status: 403, reasons: [intruder], report });
  }
  const initiated = initiatorOf({ sender, header: ctx.initiatorHeader, named: getHeader(req, ctx.initiatorHeader), peers: ctx.peers });
  const initiator = initiated.actor;
  const reasons: Reason[] = [...initiated.reasons];
  const reportAs = { ...report, initiator: initiator.id };
  const localTag = hopState[side].localTag;
  // An ACK over the rate is dropped (it cannot be answered); the 2xx it acknowledges comes again.
  const rate = admitRate({ peer: sender.peer, method: req.method, inDialog: true, tokenAvailable: facts.tokenAvailable });
  if (!rate.admitted) {
    return refuse({ ...rate.refusal, report: reportAs, toTag: localTag });
  }
  const charge = rate.charge;
  const relaysHangUp = req.method === 'BYE' && relaysPartnerBye(located.call, located.hop, hopState[side].peerId);
  const guard = ctx.profile.guard;
  const storeDown = facts.storeDown === true;
  const down = admitInDialogWhileStoreDown({ storeDown, fail: guard.fail, mode: guard.mode, senderTrusted: sender.actor.trusted, method: req.method, relaysHangUp });
  if (down !== null) {
    return refuse({ ...down, reasons: [...reasons, ...down.reasons], report: reportAs, toTag: localTag }, charge);
  }
  const downReason = storeDownReason({ storeDown, fail: guard.fail, mode: guard.mode });
  if (downReason !== null) {
    reasons.push(downReason);
  }
  const toState = hopState[otherSide(side)];
  // An ACK cannot be refused (RFC 3261 17.1.1.3): the shield deals with it as it goes.
  const unmet = toState.trusted || req.method === 'ACK' ? null : unmetCriticalPrivacy(req, toState.peerId ?? 'unknown');
  if (unmet !== null) {
    return refuse({ status: unmet.status, reasons: [...reasons, unmet.reason], report: reportAs, toTag: localTag }, charge);
  }
  // RFC 3262 3: a PRACK acknowledges a reliable provisional, which only an early dialog has.
  if (req.method === 'PRACK' && hopState.phase !== 'early' && !sender.actor.trusted) {
    return refuse({ status: 481, reasons: [{ code: 'dialog.unknown', detail: 'PRACK outside an early dialog' }], report: reportAs, toTag: localTag }, charge);
  }

  // RFC 4028 8.1: a refresh may not shorten the session under the guard's floor either.
  const tooShort = sessionIntervalRefusal(req.method, req, ctx.profile.sip.minSe);
  if (tooShort !== null) {
    return refuse({ ...tooShort, reasons: [...reasons, ...tooShort.reasons], report: reportAs, toTag: localTag }, charge);
  }

  let verdict: Verdict | null = null;
  // An AS relaying a hang-up from the other side of the call (a BYE the guard handed it, or
  // whose other hop has already ended) is not ending anybody's dialog on its own account.
  if (req.method === 'BYE' && !relaysHangUp) {
    verdict = ctx.engine.decide({ kind: 'terminate', initiator });
  } else if (req.method === 'REFER') {
    verdict = ctx.engine.decide({ kind: 'transfer', initiator });
  }
  if (verdict !== null) {
    reasons.push(...verdict.reasons);
    if (verdict.applied.action === 'reject') {
      return refuse({ status: verdict.applied.status ?? 403, reasons, report: reportAs, toTag: localTag }, charge);
    }
  }

  const call = draftOf(located.call);
  const hop = hopOf(call, located.hop);
  const from = hop[side];
  const to = hop[otherSide(side)];
  const out: SipRequest = { kind: 'request', method: req.method, uri: req.uri, headers: [...req.headers], body: req.body };
  removeHeader(out, ctx.initiatorHeader);
  if (!from.trusted) {
    admitUntrustedHeaders(out, ctx.passHeaders);
    restoreIdentities(out, { issued: call.issued, originals: null, flow: flowFrom(side) });
  }
  let offer: Pick<SentOffer, 'created' | 'openedMedia'> | null = null;
  let wouldHave: WouldHave | null = verdict?.wouldHave ?? null;
  const admitted = admitMessageBody(ctx, out, from.trusted ? { trusted: true, id: sender.label } : sender.actor);
  // Only the side the offer was made to answers it (the one that sent the offerless INVITE).
  const pending = req.method === 'ACK' || req.method === 'PRACK' ? awaitedOffer(from, 'ack-or-prack') : null;
  if (pending !== null && (isSdpBody(out) || !admitted.ok)) {
    const answerer = actorOfPeer(from.peerId === null ? undefined : ctx.peers.byId(from.peerId));
    const answered = policeAnswer(ctx, call, pending, out, { answerer, commit: true, admitted, relayed: partnerSdpSentTo(call, located.hop, from.peerId) });
    reasons.push(...answered.reasons);
    answerReceived(from, answered.agreed, true);
  } else if (!admitted.ok && req.method === 'ACK') {
    // An ACK cannot be refused (RFC 3261 17.1.1.3): it goes on without the body.
    removeBodyParts(out, () => false);
    reasons.push(admitted.reason);
  } else if (!admitted.ok) {
    return refuse({ status: admitted.status, reasons: [...reasons, admitted.reason], report: reportAs, headers: [{ name: 'Accept', value: ACCEPTED_BODY_TYPES }], toTag: localTag }, charge);
  } else if (req.method === 'ACK' && !from.trusted && out.body.length > 0) {
    // An ACK that answers no pending offer carries no SDP a receiver should read: default deny.
    removeBodyParts(out, () => false);
  } else if (isSdpBody(out) && req.method !== 'ACK') {
    // The baseline is what the guard itself forwarded toward this leg (or, when the AS relays
    // an offer the guard handed it on the partner hop, that offer): never the peer's own last SDP.
    const baseline = partnerOfferFor(call, located.hop, from.peerId, req.method) ?? lastSent(to);
    const policed = policeOffer(ctx, call, initiator, out, { method: req.method, initial: false, baseline, storeDown: facts.storeDown === true });
    if (policed !== null) {
      verdict = policed.verdict;
      wouldHave = policed.wouldHave;
      reasons.push(...admitted.reasons, ...verdict.reasons);
      if (verdict.applied.action === 'reject') {
        return refuse({ status: verdict.applied.status ?? 403, reasons, report: reportAs, toTag: localTag }, charge);
      }
      offer = { created: verdict.applied.created, openedMedia: verdict.applied.openedMedia };
    }
  }
  // Read before the shield, which removes Accept-Contact and Feature-Caps toward an untrusted peer.
  const caps = capabilitySignals(req, out, { senderTrusted: from.trusted, receiverTrusted: to.trusted, capabilitiesGranted: grantsCapabilities(ctx, to) });
  if (!to.trusted) {
    const shielded = shieldIdentities(out, shieldContext(ctx, call, to, otherSide(side), false));
    if (!shielded.ok) {
      return refuse({ status: shielded.status, reasons: [...reasons, shielded.reason], report: reportAs, toTag: localTag }, charge);
    }
  }

  const isAck = req.method === 'ACK';
  const cseq = isAck ? to.inviteCseq : ++to.localCseq;
  if (req.method === 'INVITE') {
    to.inviteCseq = cseq;
    from.inviteCseqIn = inviteCseq;
  }
  const copied = caps.withFeatureHeaders(endToEndHeaders(out.headers)).map((h) => (h.name === 'RAck' ? { name: 'RAck', value: mapRAck(h.value, to.inviteCseq) } : h));
  const branch = ctx.ids.branch();
  const forwarded = requestOnLeg(to, {
    method: req.method,
    uri: to.remoteTarget,
    via: ctx.self.via(branch),
    maxForwards: DEFAULT_MAX_FORWARDS,
    routes: to.routeSet,
    cseq,
    contact: req.method === 'INVITE' || req.method === 'UPDATE' ? ctx.self.contact(caps.contactParams) : null,
    copied,
    body: out.body,
  });
  mapSdpParts(forwarded, (sdp, i) => (i === 0 ? stampOrigin(to, sdp) : sdp));
  const sentSdp = firstSdp(forwarded);
  if (offer !== null && sentSdp !== null) {
    sentOffer(to, { sdp: sentSdp, answerIn: { kind: 'response', cseq, method: req.method }, ...offer });
  } else if (sentSdp !== null) {
    sentOtherSdp(to, sentSdp);
  }
  if (!isAck) {
    hop.transactions[transactionKey(otherSide(side), cseq, req.method)] = {
      method: req.method,
      inboundSide: side,
      outboundCseq: cseq,
      branch,
      echo: echoHeaders(req),
      carriedOffer: offer !== null,
    };
  }
  return {
    next: settle(call, facts.now),
    outcome: {
      kind: 'forward',
      // RFC 3261 12.2.1.1: an in-dialog request goes to the first route-set entry, else the remote target.
      to: { peerId: to.peerId, uri: inDialogDestination(to, ctx.peers) },
      message: forwarded,
      report: reportOf(reportAs, { action: 'forward', status: null, reasons, wouldHave }),
    },
    index: [],
    charge,
  };
}

/** RFC 3262 7.2: RAck names the INVITE's CSeq number, which differs on each leg. */
function mapRAck(value: string, inviteCseq: number): string {
  const parts = value.trim().split(/\s+/);
  return parts.length === 3 ? `${parts[0]} ${inviteCseq} ${parts[2]}` : value;
}
