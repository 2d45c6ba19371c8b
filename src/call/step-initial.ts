/**
 * A dialog-creating request (or one outside any dialog): a new call, or an AS bringing its call
 * back through a route token. The order of the checks is the order a refusal is reported in.
 */
import { ACCEPTED_BODY_TYPES } from '../policy/body-admission.ts';
import { initiatorOf } from '../policy/initiator.ts';
import { admitConcurrentCalls, admitRate } from '../policy/peer-limits.ts';
import { admitNewCallWhileStoreDown, storeDownReason } from '../policy/store-down.ts';
import type { Reason } from '../policy/reason.ts';
import { admitRoute, admitRouteToken } from '../policy/route-admission.ts';
import type { Sender } from '../policy/sender.ts';
import { admitUntrustedHeaders } from '../privacy/header-allow-list.ts';
import { captureOriginals, restoreIdentities } from '../privacy/identity-restorer.ts';
import { shieldIdentities } from '../privacy/identity-shield.ts';
import type { IdentityMode, Peer } from '../profile/profile-types.ts';
import { peerForUri, type RouteDecision } from '../routing/route-decision.ts';
import { parseCSeq } from '../sip/cseq.ts';
import { tagOf, withoutTag } from '../sip/dialog-tags.ts';
import { nameAddrUri } from '../sip/name-addr.ts';
import { firstSdp, mapSdpParts } from '../sip/sdp-body.ts';
import { getHeader, getHeaderValues, removeHeader } from '../sip/sip-headers.ts';
import type { SipRequest } from '../sip/sip-message.ts';
import { transactionKey, type HopState, type PendingTransaction } from '../state/call-state.ts';
import { draftOf, newCallDraft, settle, type CallDraft, type HopDraft, type LegDraft } from './call-draft.ts';
import type { Located } from './leg-matching.ts';
import { STABLE_EMPTY, sentOffer } from './leg-negotiation.ts';
import { policeOffer } from './offer-answer.ts';
import { stampOrigin } from './origin-stamp.ts';
import { partnerOffer } from './partner-hops.ts';
import { servedUsersOf } from './served-users.ts';
import { echoHeaders, endToEndHeaders, requestOnLeg } from './sip-builders.ts';
import { admitMessageBody } from './body-check.ts';
import { capabilitySignals } from './contact-features.ts';
import { legSessionId } from './leg-privacy.ts';
import { contactUri, refusalOutcome, reportOf, unchanged, type InitialDestination, type Refusal, type ReportBase, type StepContext, type StepFacts, type StepResult } from './step-context.ts';

const DEFAULT_MAX_FORWARDS = 70;

/** Where a dialog-creating request goes, and the peer there: needed before the step, to count that peer's calls. */
export function initialDestination(ctx: StepContext, route: RouteDecision & { ok: true }, issuer: Located | null): InitialDestination {
  const resume = issuer?.call.hops[issuer.hop]?.resume ?? null;
  // The call goes on where the route pointed when the guard handed it to the AS, whatever
  // Route entries the AS wrote after the token.
  const target = resume?.target ?? route.target;
  const routes = resume?.routes ?? route.routes;
  return { target, routes, peer: route.asPeer ?? peerForUri(target, ctx.peers, ctx.profile.peers) };
}

export function stepInitial(ctx: StepContext, facts: StepFacts, req: SipRequest, sender: Sender, issuer: Located | null, base: ReportBase): StepResult {
  const refuse = (refusal: Refusal, charge: Peer | null = null): StepResult => unchanged(issuer?.call ?? null, refusalOutcome(ctx, req, sender, refusal), charge);
  const rate = admitRate({ peer: sender.peer, method: req.method, inDialog: false, tokenAvailable: facts.tokenAvailable });
  if (!rate.admitted) {
    return refuse({ ...rate.refusal, report: base });
  }
  const charge = rate.charge;
  const route = facts.route;
  if (route === undefined || !route.ok) {
    return refuse({ status: route?.status ?? 500, reasons: [{ code: 'dialog.unknown', detail: route?.detail ?? 'no route decided' }], report: base }, charge);
  }
  const routeRefusal = admitRoute({ senderTrusted: sender.actor.trusted, senderLabel: sender.label, via: route.via, token: route.token !== null });
  if (routeRefusal !== null) {
    return refuse({ status: 403, reasons: [routeRefusal], report: base }, charge);
  }
  if (route.token !== null) {
    const tokenRefusal = admitRouteToken(returnFacts(issuer), sender.peer?.id ?? null);
    if (tokenRefusal !== null) {
      return refuse({ status: 403, reasons: [tokenRefusal], report: base }, charge);
    }
  }
  const linkedHop = route.token === null || issuer === null ? null : issuer.hop;
  const call: CallDraft = linkedHop === null || issuer === null ? newCallDraft(ctx.ids.callId(), facts.now) : draftOf(issuer.call);
  const report = { ...base, call: call.id };

  const initiated = initiatorOf({ sender, header: ctx.initiatorHeader, named: getHeader(req, ctx.initiatorHeader), peers: ctx.peers });
  const initiator = initiated.actor;
  const reasons: Reason[] = [...initiated.reasons];
  // The controller worked it out already to read the peer's call count; a step run alone works it out here.
  const dest = facts.destination ?? initialDestination(ctx, route, linkedHop === null ? null : issuer);
  const busy =
    admitNewCallWhileStoreDown({ storeDown: facts.storeDown === true, fail: ctx.profile.guard.fail, mode: ctx.profile.guard.mode, peer: sender.peer, returning: linkedHop !== null }) ??
    admitConcurrentCalls([sender.peer, dest.peer], facts.liveCalls);
  if (busy !== null) {
    return refuse({ ...busy, report }, charge);
  }

  // URI headers (`?Route=...`, RFC 3261 19.1.1) of an untrusted Request-URI would be read as headers downstream.
  const out: SipRequest = { kind: 'request', method: req.method, uri: sender.actor.trusted ? req.uri : withoutUriHeaders(req.uri), headers: [...req.headers], body: req.body };
  removeHeader(out, ctx.initiatorHeader);
  if (!sender.actor.trusted) {
    admitUntrustedHeaders(out, ctx.passHeaders);
    restoreIdentities(out, { issued: call.issued, originals: linkedHop === null ? null : call.originals, flow: 'down' });
  }
  const resume = route.asPeer === null ? null : { routes: [...route.routes], target: nameAddrUri(route.routes[0]) ?? ctx.profile.sip.nextHop ?? out.uri };
  if (linkedHop === null) {
    call.servedUsers = servedUsersOf(out, sender.actor.trusted);
  }
  const destPeer = dest.peer;
  const destTrusted = destPeer?.trusted ?? false;
  const destIdentity: IdentityMode = destPeer === undefined ? 'anonymous' : destPeer.trusted ? 'pass' : destPeer.identity;
  if (!destTrusted && call.originals === null) {
    call.originals = captureOriginals(out);
  }

  if (!sender.actor.trusted) {
    const admitted = admitMessageBody(ctx, out, sender.actor);
    if (!admitted.ok) {
      return refuse({ status: admitted.status, reasons: [...reasons, admitted.reason], report, headers: [{ name: 'Accept', value: ACCEPTED_BODY_TYPES }] }, charge);
    }
    reasons.push(...admitted.reasons);
  }
  const downReason = storeDownReason({ storeDown: facts.storeDown === true, fail: ctx.profile.guard.fail, mode: ctx.profile.guard.mode });
  if (downReason !== null) {
    reasons.push(downReason);
  }
  const baseline = linkedHop === null ? null : partnerOffer(call, linkedHop, 'downstream', req.method);
  const policed = policeOffer(ctx, call, initiator, out, { method: req.method, initial: true, baseline, storeDown: facts.storeDown === true });
  const verdict = policed?.verdict ?? null;
  if (verdict !== null) {
    reasons.push(...verdict.reasons);
    if (verdict.applied.action === 'reject') {
      return refuse({ status: verdict.applied.status ?? 403, reasons: [...reasons], report: { ...report, initiator: initiator.id } }, charge);
    }
  }

  const upstream = upstreamLeg(ctx, req, sender);
  const downstreamCallId = ctx.ids.callId();
  // Read before the shield, which removes Accept-Contact and Feature-Caps toward an untrusted peer.
  const caps = capabilitySignals(req, out, { senderTrusted: sender.actor.trusted, receiverTrusted: destTrusted, capabilitiesGranted: destPeer?.grants.capabilities ?? false });
  if (!destTrusted) {
    const shielded = shieldIdentities(out, {
      peerId: destPeer?.id ?? 'unknown',
      mode: destIdentity,
      pseudonymizer: ctx.pseudonymizer,
      issued: call.issued,
      dialogCreating: true,
      flow: 'down',
      passHeaders: ctx.passHeaders,
      sdpSession: { ...ctx.self.sdpAddress(), sessionId: legSessionId(downstreamCallId) },
    });
    if (!shielded.ok) {
      return refuse({ status: shielded.status, reasons: [...reasons, shielded.reason], report }, charge);
    }
  }
  const token = route.asPeer !== null && !route.asPeer.trusted ? ctx.ids.token() : null;
  const routes = [...dest.routes];
  if (route.asPeer !== null) {
    // TS 24.229 5.4.3.3: the AS is the top Route entry, then whoever the request returns to.
    routes.unshift(...(token === null ? [] : [ctx.self.routeEntry({ dcg: token })]));
    routes.unshift(`<${route.asPeer.uri ?? dest.target};lr>`);
  }
  const downstream: LegDraft = {
    peerId: destPeer?.id ?? null,
    trusted: destTrusted,
    identity: destIdentity,
    target: dest.target,
    sourceAddress: null,
    sourceUri: null,
    callId: downstreamCallId,
    localTag: ctx.ids.tag(),
    remoteTag: null,
    localUri: withoutTag(getHeader(out, 'From') ?? ''),
    remoteUri: withoutTag(getHeader(out, 'To') ?? ''),
    remoteTarget: out.uri,
    routeSet: routes,
    localCseq: 1,
    inviteCseq: req.method === 'INVITE' ? 1 : 0,
    inviteCseqIn: null,
    sdpSent: null,
    negotiation: STABLE_EMPTY,
  };
  const branch = ctx.ids.branch();
  const forwarded = requestOnLeg(downstream, {
    method: req.method,
    uri: out.uri,
    via: ctx.self.via(branch),
    maxForwards: Math.max(0, (Number(getHeader(req, 'Max-Forwards') ?? DEFAULT_MAX_FORWARDS) || DEFAULT_MAX_FORWARDS) - 1),
    routes,
    cseq: 1,
    contact: ctx.self.contact(caps.contactParams),
    copied: caps.withFeatureHeaders(endToEndHeaders(out.headers)),
    body: out.body,
  });
  mapSdpParts(forwarded, (sdp, i) => (i === 0 ? stampOrigin(downstream, sdp) : sdp));
  const sentSdp = firstSdp(forwarded);
  if (sentSdp !== null) {
    sentOffer(downstream, {
      sdp: sentSdp,
      answerIn: { kind: 'response', cseq: 1, method: req.method },
      created: verdict?.applied.created ?? [],
      openedMedia: verdict?.applied.openedMedia ?? [],
    });
  }
  const txn: PendingTransaction = { method: req.method, inboundSide: 'upstream', outboundCseq: 1, branch, echo: echoHeaders(req), carriedOffer: sentSdp !== null };
  const hopIndex = call.hops.length;
  const hop: HopDraft = {
    id: `${call.id}/${hopIndex}`,
    upstream,
    downstream,
    token,
    linkedHop,
    transactions: { [transactionKey('downstream', 1, req.method)]: txn },
    phase: 'early',
    endedByBye: false,
    resume,
  };
  call.hops.push(hop);
  return {
    next: settle(call, facts.now),
    outcome: {
      kind: 'forward',
      to: { peerId: downstream.peerId, uri: dest.target },
      message: forwarded,
      report: reportOf(report, { initiator: initiator.id, action: 'forward', status: null, reasons, wouldHave: policed?.wouldHave ?? null }),
    },
    index: [
      { key: `leg:${upstream.callId}:${upstream.localTag}`, hop: hopIndex, side: 'upstream' },
      { key: `early:${upstream.callId}:${upstream.remoteTag ?? ''}`, hop: hopIndex, side: 'upstream' },
      { key: `leg:${downstream.callId}:${downstream.localTag}`, hop: hopIndex, side: 'downstream' },
      ...(token === null ? [] : [{ key: `token:${token}`, hop: hopIndex, side: 'downstream' as const }]),
    ],
    charge,
  };
}

/** The route token's call as admission sees it: who it was handed to and how often it came back. */
function returnFacts(issuer: Located | null): Parameters<typeof admitRouteToken>[0] {
  const hop: HopState | undefined = issuer?.call.hops[issuer.hop];
  if (issuer === null || hop === undefined) {
    return null;
  }
  const returns = issuer.call.hops.filter((h) => h.linkedHop === issuer.hop);
  return {
    handedTo: hop.downstream.peerId,
    liveReturns: returns.filter((h) => h.phase !== 'ended').length,
    allReturns: issuer.call.hops.filter((h) => h.linkedHop !== null).length,
  };
}

function upstreamLeg(ctx: StepContext, req: SipRequest, sender: Sender): LegDraft {
  return {
    peerId: sender.peer?.id ?? null,
    trusted: sender.actor.trusted,
    identity: sender.peer?.identity ?? 'anonymous',
    target: contactUri(req) ?? req.uri,
    sourceAddress: sender.address,
    sourceUri: sender.uri,
    callId: getHeader(req, 'Call-ID') ?? '',
    localTag: ctx.ids.tag(),
    remoteTag: tagOf(getHeader(req, 'From')),
    localUri: withoutTag(getHeader(req, 'To') ?? ''),
    remoteUri: withoutTag(getHeader(req, 'From') ?? ''),
    remoteTarget: contactUri(req) ?? req.uri,
    routeSet: getHeaderValues(req, 'Record-Route'),
    localCseq: 0,
    inviteCseq: 0,
    inviteCseqIn: req.method === 'INVITE' ? parseCSeq(getHeader(req, 'CSeq') ?? '').seq : null,
    sdpSent: null,
    negotiation: STABLE_EMPTY,
  };
}

function withoutUriHeaders(uri: string): string {
  const q = uri.indexOf('?');
  return q === -1 ? uri : uri.slice(0, q);
}
