import { isIP } from 'node:net';
import type { Actor } from '../policy/actor.ts';
import { NO_GRANTS } from '../policy/actor.ts';
import type { Reason } from '../policy/reason.ts';
import { admitRoute } from '../policy/route-admission.ts';
import { ACCEPTED_BODY_TYPES, admitBody, type BodyAdmission } from '../policy/body-admission.ts';
import type { Verdict } from '../policy/verdict.ts';
import type { VerdictEngine } from '../policy/verdict-engine.ts';
import { admitUntrustedHeaders, passHeaderSet } from '../privacy/header-allow-list.ts';
import { captureOriginals, restoreIdentities } from '../privacy/identity-restorer.ts';
import type { Flow } from '../privacy/issued-identity.ts';
import { shieldIdentities, unmetCriticalPrivacy } from '../privacy/identity-shield.ts';
import type { Pseudonymizer } from '../privacy/pseudonymizer.ts';
import type { PeerDirectory } from '../profile/peer-directory.ts';
import type { IdentityMode, Peer, Profile } from '../profile/profile-types.ts';
import type { GuardSelf } from '../routing/guard-self.ts';
import { decideRoute, peerForUri } from '../routing/route-decision.ts';
import { readSdp, readSdpOrNull } from '../sdp/read-sdp.ts';
import { refuseDcMediaInText } from '../sdp/refuse-dc-media-in-text.ts';
import { agreedSession } from '../sdp/dc-rewrite.ts';
import type { SdpView } from '../sdp/sdp-types.ts';
import { parseCSeq } from '../sip/cseq.ts';
import { nameAddrUri } from '../sip/name-addr.ts';
import { parseUri } from '../sip/sip-uri.ts';
import { SUPPORTED_EXTENSIONS, unsupportedExtensions } from '../sip/required-extensions.ts';
import { admitRequest } from '../policy/request-admission.ts';
import { tagOf, withoutTag } from '../sip/dialog-tags.ts';
import { classifyMessageBody, firstSdp, isSdpBody, mapSdpParts, removeBodyParts, setSdpBody } from '../sip/sdp-body.ts';
import type { BodyClass } from '../sip/sip-body.ts';
import { getHeader, getHeaderValues, removeHeader, setHeader } from '../sip/sip-headers.ts';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { CallStore, LegAddress } from '../state/call-store.ts';
import type { CallState, HopState, LegSide, LegState, PendingTransaction } from './call-state.ts';
import { otherSide, transactionKey } from './call-state.ts';
import { STRICT_MATCHING, type FoundLeg, type LegMatching } from './leg-matching.ts';
import { commitOwnership } from './dc-ownership.ts';
import { partnerOffer, partnerOfferFor, partnerSdpSentTo, relaysPartnerBye } from './partner-hops.ts';
import { servedUsersOf } from './served-users.ts';
import type { ControllerOutcome, DecisionReport, Destination } from './controller-outcome.ts';
import type { IdSource } from './id-source.ts';
import { stampOrigin } from './origin-stamp.ts';
import type { PeerLimiter } from './peer-limiter.ts';
import { echoHeaders, endToEndHeaders, reasonPhrase, requestOnLeg, responseOnLeg, warningFor } from './sip-builders.ts';

/** Where a message came from on the wire. */
export interface Inbound {
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
  /** Names in the sender's verified TLS certificate (src/transport/endpoint.ts). */
  readonly tlsNames?: readonly string[];
}

export interface CallControllerDeps {
  readonly profile: Profile;
  readonly peers: PeerDirectory;
  readonly engine: VerdictEngine;
  readonly store: CallStore;
  readonly ids: IdSource;
  readonly self: GuardSelf;
  readonly pseudonymizer: Pseudonymizer | null;
  readonly limiter: PeerLimiter;
  readonly now: () => number;
  /** What to do with identifiers that name no leg: the server drops the message (leg-matching.ts). */
  readonly matching?: LegMatching;
}

/** What a request is refused with (see #refuse). */
interface Refusal {
  readonly status: number;
  readonly reasons: readonly Reason[];
  readonly report: ReportBase & { call: string | null };
  /** Headers of the answer beside the Warning (Retry-After, Accept, Unsupported...). */
  readonly headers?: readonly SipHeader[];
  /** The leg's own tag on a dialog the guard is already in; a fresh one otherwise. */
  readonly toTag?: string | null;
}

/** The party behind a message's transport address. */
interface Sender {
  readonly peer: Peer | undefined;
  /** Transport source address, as the socket reported it. */
  readonly address: string;
  /** The transport source as a SIP URI (`sip:addr:port`, `;transport=tcp` on TCP). */
  readonly uri: string;
  /** Peer id, or `unknown:<address>`. */
  readonly label: string;
  readonly actor: Actor;
}

const DEFAULT_MAX_FORWARDS = 70;
const NO_BODY: BodyClass = { kind: 'none' };
const UNMETERED_IN_DIALOG = new Set(['BYE', 'CANCEL']);
/** How often ASes may bring one call back through route tokens, in all, one at a time per token (serial retries). */
const MAX_RETURNS_PER_TOKEN = 3;
/** An INVITE unanswered this long is gone (RFC 3261 Timer C is "greater than 3 minutes"). */
export const EARLY_IDLE_MS = 200_000;
/** A confirmed call silent this long is treated as lost: IMS session timers refresh far more often. */
export const CONFIRMED_IDLE_MS = 4 * 3_600_000;

/**
 * The routing B2BUA (TS 24.229 5.7.5) without transport: a request or response in, what to
 * send where out. Both front ends (embedded, drachtio) and `dc-guard check` drive this one
 * class, so what an operator checks is what the server does.
 */
export class CallController {
  readonly #d: CallControllerDeps;
  readonly #initiatorHeader: string;
  /** `privacy.pass_headers`: headers the operator lets cross toward and from untrusted peers. */
  readonly #passHeaders: ReadonlySet<string>;

  constructor(deps: CallControllerDeps) {
    this.#d = deps;
    this.#initiatorHeader = deps.profile.guard.initiatorHeader;
    this.#passHeaders = passHeaderSet(deps.profile.privacy.passHeaders);
  }

  /**
   * Drops calls abandoned without a BYE (a lost BYE, a peer that vanished): early dialogs after
   * `EARLY_IDLE_MS` (longer than RFC 3261 Timer C), confirmed ones after `CONFIRMED_IDLE_MS`
   * without any message. Front ends call it periodically.
   */
  async expireAbandoned(): Promise<number> {
    const now = this.#d.now();
    return this.#d.store.expire({ early: now - EARLY_IDLE_MS, confirmed: now - CONFIRMED_IDLE_MS });
  }

  /** The id of the peer a message from `source` comes from, or null when no peer matches (the front ends queue by it). */
  peerIdOf(source: Inbound): string | null {
    return this.#d.peers.bySource(source)?.id ?? null;
  }

  async handleRequest(req: SipRequest, source: Inbound): Promise<ControllerOutcome> {
    const sender = this.#sender(source);
    const base = { call: null, from: sender.label, initiator: null, message: req.method };
    const admission = admitRequest({
      method: req.method,
      peerKnown: sender.peer !== undefined,
      unknownPeers: this.#d.profile.guard.unknownPeers,
      sourceAddress: source.address,
      maxForwards: getHeader(req, 'Max-Forwards'),
      unsupported: unsupportedExtensions(req, SUPPORTED_EXTENSIONS),
    });
    if (!admission.admitted) {
      return this.#refuse(req, sender, { status: admission.status, reasons: admission.reasons, report: base, headers: admission.headers });
    }
    const toTag = tagOf(getHeader(req, 'To'));
    if (req.method === 'CANCEL') {
      return this.#handleCancel(req, sender, base);
    }
    if (toTag !== null) {
      return this.#handleInDialog(req, sender, toTag, base);
    }
    if (req.method === 'ACK') {
      // An ACK without a To tag acknowledges nothing the guard sent (RFC 3261 17.2.1 absorbs the real ones).
      return { kind: 'drop', report: { ...base, action: 'drop', status: null, reasons: [{ code: 'dialog.unknown' }], wouldHave: null } };
    }
    return this.#handleInitial(req, sender, base);
  }

  async handleResponse(res: SipResponse, source: Inbound): Promise<ControllerOutcome> {
    const sender = this.#sender(source);
    const cseq = parseCSeq(getHeader(res, 'CSeq') ?? '');
    const base = { call: null, from: sender.label, initiator: null, message: `${res.status} ${cseq.method}` };
    const drop = (reasons: Reason[]): ControllerOutcome => ({
      kind: 'drop',
      report: { ...base, action: 'drop', status: null, reasons, wouldHave: null },
    });
    const fromTag = tagOf(getHeader(res, 'From'));
    const found = await this.#findLeg(`leg:${getHeader(res, 'Call-ID') ?? ''}:${fromTag ?? ''}`, sender, (hop, side) =>
      hop.transactions[transactionKey(side, cseq.seq, cseq.method)] !== undefined ||
      Object.values(hop.transactions).some((t) => t.method === cseq.method && hop[side].peerId === sender.peer?.id),
    );
    if (found === null) {
      return drop([{ code: 'dialog.unknown', detail: 'response matches no request the guard sent' }]);
    }
    const { call, hop, hopIndex, side } = found;
    const leg = hop[side];
    // Identifiers prove nothing: only the peer this leg faces may answer on it (a 486 copied
    // from another call's callee leg must not end that call).
    if (!this.#faces(leg, sender)) {
      return drop([{ code: 'dialog.wrong-peer', peer: sender.label, detail: 'response on a leg facing another peer' }]);
    }
    const txn =
      hop.transactions[transactionKey(side, cseq.seq, cseq.method)] ??
      (this.#d.matching ?? STRICT_MATCHING).fallbackTransaction(hop, side, cseq.method);
    if (txn === undefined) {
      return drop([{ code: 'dialog.unknown', detail: 'response matches no open transaction' }]);
    }
    if (res.status === 100) {
      return drop([]); // 100 Trying is hop-by-hop (RFC 3261 16.7 step 5)
    }
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
      admitUntrustedHeaders(out, this.#passHeaders);
      restoreIdentities(out, { issued: call.issued, originals: null, flow: flowFrom(side) });
    }
    const reasons: Reason[] = [];
    let wouldHave: DecisionReport['wouldHave'] = null;
    const answerer = this.#actorOfLeg(leg);
    const admitted = this.#admitBody(out, answerer);
    const answersOffer = txn.forwardedOffer !== null && (isSdpBody(out) || (!admitted.ok && res.status >= 200 && res.status < 300));
    if (answersOffer) {
      const answered = this.#policeAnswer(call, txn, out, answerer, res.status < 300, admitted, partnerSdpSentTo(call, hopIndex, leg.peerId));
      reasons.push(...answered.reasons);
      wouldHave = answered.wouldHave;
      // What was offered on this leg and not accepted is no baseline for the next offer.
      leg.sdpForwarded = answered.agreed ?? leg.sdpForwarded;
    } else if (!admitted.ok) {
      // A body the guard cannot vouch for that answers nothing: the response goes on without it.
      removeBodyParts(out, () => false);
      reasons.push(admitted.reason);
    } else if (isSdpBody(out)) {
      // An offer in a response to an offerless INVITE: the answer comes in the ACK (RFC 3264 4).
      const baseline = hop.phase === 'early' ? partnerSdpSentTo(call, hopIndex, leg.peerId) : hop[txn.inboundSide].sdpForwarded;
      const policed = this.#policeOffer(call, answerer, out, cseq.method, hop.phase === 'early', baseline);
      if (policed !== null) {
        if (policed.verdict.enforced && policed.verdict.action === 'reject') {
          // A response cannot be refused: its offer goes on with every DC m-line refused.
          mapSdpParts(out, (sdp) => refuseDcMediaInText(sdp));
        }
        reasons.push(...admitted.reasons, ...policed.verdict.reasons);
        wouldHave = policed.wouldHave;
        hop.pendingOffer = {
          ...txn,
          forwardedOffer: firstSdp(out),
          created: policed.verdict.created,
          openedMedia: policed.verdict.openedMedia,
          initiatorId: leg.peerId ?? sender.label,
        };
      }
    }

    const backSide = txn.inboundSide;
    const back = hop[backSide];
    const headers = endToEndHeaders(out.headers);
    if (cseq.method === 'INVITE' || cseq.method === 'UPDATE' || cseq.method === 'SUBSCRIBE') {
      if (res.status > 100 && res.status < 300) {
        headers.unshift({ name: 'Contact', value: this.#d.self.contact() });
      }
    }
    // A reason phrase is free text (a name, a number): toward an untrusted peer, the standard one.
    const relayed = responseOnLeg(txn.echo, res.status, back.trusted ? res.reason : reasonPhrase(res.status), back.localTag, headers, out.body);
    if (!back.trusted) {
      shieldIdentities(relayed, this.#shieldContext(call, back, backSide, false));
    }
    mapSdpParts(relayed, (sdp, i) => (i === 0 ? stampOrigin(back, sdp) : sdp));

    if (res.status >= 300 && txn.sdpForwardedBefore !== undefined && leg.sdpForwarded === txn.forwardedOffer) {
      // RFC 3264 8: a refused offer leaves the session as it was, and so the next offer's
      // baseline; unless the guard sent this leg something since (an answer in glare), which stands.
      leg.sdpForwarded = txn.sdpForwardedBefore;
    }
    if (res.status >= 200) {
      delete hop.transactions[transactionKey(side, txn.outboundCseq, txn.method)];
      if (cseq.method === 'INVITE' && res.status < 300) {
        hop.phase = 'confirmed';
      }
      const endsHop = (cseq.method === 'INVITE' && res.status >= 300 && hop.phase === 'early') || cseq.method === 'BYE';
      if (cseq.method === 'BYE') {
        hop.endedByBye = true;
      }
      if (endsHop || (hop.phase === 'early' && cseq.method !== 'INVITE' && Object.keys(hop.transactions).length === 0)) {
        hop.phase = 'ended';
      }
    }
    await this.#save(call);
    return {
      kind: 'forward',
      to: { peerId: back.peerId, uri: back.target },
      message: relayed,
      report: { ...report, initiator: leg.peerId ?? sender.label, action: 'forward', status: null, reasons, wouldHave },
    };
  }

  async #handleInitial(req: SipRequest, sender: Sender, base: ReportBase): Promise<ControllerOutcome> {
    const { profile, peers, self } = this.#d;
    if (sender.peer !== undefined && !this.#d.limiter.take(sender.peer)) {
      return this.#refuse(req, sender, { status: 503, reasons: [{ code: 'peer.rate-limited', peer: sender.label }], report: base, headers: [{ name: 'Retry-After', value: '1' }] });
    }
    const route = decideRoute(req, self, peers, profile.sip.nextHop);
    if (!route.ok) {
      return this.#refuse(req, sender, { status: route.status, reasons: [{ code: 'dialog.unknown', detail: route.detail }], report: base });
    }
    const routeRefusal = admitRoute({ senderTrusted: sender.actor.trusted, senderLabel: sender.label, via: route.via, token: route.token !== null });
    if (routeRefusal !== null) {
      return this.#refuse(req, sender, { status: 403, reasons: [routeRefusal], report: base });
    }
    let target = route.target;
    let onwardRoutes: readonly string[] = route.routes;

    let call: CallState;
    let linkedHop: number | null = null;
    if (route.token !== null) {
      const issuer = await this.#d.store.lookup(`token:${route.token}`);
      const issuerCall = issuer === undefined ? undefined : await this.#d.store.get(issuer.callStateId);
      const issuerHop = issuer === undefined ? undefined : issuerCall?.hops[issuer.hop];
      // Only the AS the call was handed to may bring it back: a token from anyone else is a hijack attempt.
      if (issuer === undefined || issuerCall === undefined || issuerHop === undefined || issuerHop.downstream.peerId !== (sender.peer?.id ?? null)) {
        return this.#refuse(req, sender, { status: 403, reasons: [{ code: 'dialog.unknown', detail: 'route token matches no call handed to this peer' }], report: base });
      }
      // One live return per token (an AS retrying serially after a failure is a new return), and
      // a few in all: a token must not mint calls under the caller's identity without end.
      const returns = issuerCall.hops.filter((h) => h.linkedHop === issuer.hop);
      const allReturns = issuerCall.hops.filter((h) => h.linkedHop !== null);
      if (returns.some((h) => h.phase !== 'ended') || allReturns.length >= MAX_RETURNS_PER_TOKEN) {
        return this.#refuse(req, sender, { status: 403, reasons: [{ code: 'dialog.unknown', detail: 'route token already brought its call back' }], report: base });
      }
      call = issuerCall;
      linkedHop = issuer.hop;
      // The call goes on where the route pointed when the guard handed it to the AS, whatever
      // Route entries the AS wrote after the token.
      if (issuerHop.resume !== null) {
        target = issuerHop.resume.target;
        onwardRoutes = issuerHop.resume.routes;
      }
    } else {
      call = {
        id: this.#d.ids.callId(),
        createdAt: this.#d.now(),
        updatedAt: this.#d.now(),
        servedUsers: [],
        owners: [],
        mediaOwners: [],
        issued: {},
        originals: null,
        hops: [],
      };
    }
    const report = { ...base, call: call.id };

    const { actor: initiator, reasons } = this.#initiatorOf(req, sender);
    const destPeer = route.asPeer ?? peerForUri(target, peers, profile.peers);
    for (const limited of [sender.peer, destPeer]) {
      const cap = limited?.limits.concurrentCalls ?? null;
      if (limited !== undefined && cap !== null && (await this.#d.store.liveCallsOf(limited.id)) >= cap) {
        return this.#refuse(req, sender, { status: 503, reasons: [{ code: 'peer.concurrent-calls', peer: limited.id }], report, headers: [{ name: 'Retry-After', value: '5' }] });
      }
    }

    // URI headers (`?Route=...`, RFC 3261 19.1.1) of an untrusted Request-URI would be read as headers downstream.
    const out: SipRequest = { kind: 'request', method: req.method, uri: sender.actor.trusted ? req.uri : withoutUriHeaders(req.uri), headers: [...req.headers], body: req.body };
    removeHeader(out, this.#initiatorHeader);
    if (!sender.actor.trusted) {
      admitUntrustedHeaders(out, this.#passHeaders);
      restoreIdentities(out, { issued: call.issued, originals: linkedHop === null ? null : call.originals, flow: 'down' });
    }
    const resume = route.asPeer === null ? null : { routes: [...route.routes], target: firstRouteUri(route.routes) ?? profile.sip.nextHop ?? out.uri };
    if (linkedHop === null) {
      (call as { servedUsers: readonly string[] }).servedUsers = servedUsersOf(out, sender.actor.trusted);
    }

    const hopIndex = call.hops.length;
    const destTrusted = destPeer?.trusted ?? false;
    const destIdentity: IdentityMode = destPeer === undefined ? 'anonymous' : destPeer.trusted ? 'pass' : destPeer.identity;
    if (!destTrusted && call.originals === null) {
      call.originals = captureOriginals(out);
    }

    if (!sender.actor.trusted) {
      const admitted = this.#admitBody(out, sender.actor);
      if (!admitted.ok) {
        return this.#refuse(req, sender, { status: admitted.status, reasons: [...reasons, admitted.reason], report, headers: [{ name: 'Accept', value: ACCEPTED_BODY_TYPES }] });
      }
      reasons.push(...admitted.reasons);
    }
    const baseline = linkedHop === null ? null : partnerOffer(call, linkedHop, 'downstream', req.method);
    const policed = this.#policeOffer(call, initiator, out, req.method, true, baseline);
    const verdict = policed?.verdict ?? null;
    if (verdict !== null) {
      reasons.push(...verdict.reasons);
      if (verdict.enforced && verdict.action === 'reject') {
        return this.#refuse(req, sender, { status: verdict.status ?? 403, reasons: [...reasons], report: { ...report, initiator: initiator.id } });
      }
    }

    const upstream: LegState = {
      peerId: sender.peer?.id ?? null,
      trusted: sender.actor.trusted,
      identity: sender.peer?.identity ?? 'anonymous',
      target: contactUri(req) ?? req.uri,
      sourceAddress: sender.address,
      sourceUri: sender.uri,
      callId: getHeader(req, 'Call-ID') ?? '',
      localTag: this.#d.ids.tag(),
      remoteTag: tagOf(getHeader(req, 'From')),
      localUri: withoutTag(getHeader(req, 'To') ?? ''),
      remoteUri: withoutTag(getHeader(req, 'From') ?? ''),
      remoteTarget: contactUri(req) ?? req.uri,
      routeSet: getHeaderValues(req, 'Record-Route'),
      localCseq: 0,
      inviteCseq: 0,
      inviteCseqIn: req.method === 'INVITE' ? parseCSeq(getHeader(req, 'CSeq') ?? '').seq : null,
      sdpSent: null,
      sdpForwarded: null,
    };
    const downstreamCallId = this.#d.ids.callId();
    if (!destTrusted) {
      const shielded = shieldIdentities(out, {
        peerId: destPeer?.id ?? 'unknown',
        mode: destIdentity,
        pseudonymizer: this.#d.pseudonymizer,
        issued: call.issued,
        dialogCreating: true,
        flow: 'down',
        passHeaders: this.#passHeaders,
        sdpSession: { ...self.sdpAddress(), sessionId: legSessionId(downstreamCallId) },
      });
      if (!shielded.ok) {
        return this.#refuse(req, sender, { status: shielded.status, reasons: [...reasons, shielded.reason], report });
      }
    }
    const token = route.asPeer !== null && !route.asPeer.trusted ? this.#d.ids.token() : null;
    const routes = [...onwardRoutes];
    if (route.asPeer !== null) {
      // TS 24.229 5.4.3.3: the AS is the top Route entry, then whoever the request returns to.
      routes.unshift(...(token === null ? [] : [self.routeEntry({ dcg: token })]));
      routes.unshift(`<${route.asPeer.uri ?? target};lr>`);
    }
    const downstream: LegState = {
      peerId: destPeer?.id ?? null,
      trusted: destTrusted,
      identity: destIdentity,
      target,
      sourceAddress: null,
      sourceUri: null,
      callId: downstreamCallId,
      localTag: this.#d.ids.tag(),
      remoteTag: null,
      localUri: withoutTag(getHeader(out, 'From') ?? ''),
      remoteUri: withoutTag(getHeader(out, 'To') ?? ''),
      remoteTarget: out.uri,
      routeSet: routes,
      localCseq: 1,
      inviteCseq: req.method === 'INVITE' ? 1 : 0,
      inviteCseqIn: null,
      sdpSent: null,
      sdpForwarded: null,
    };
    const branch = this.#d.ids.branch();
    const forwarded = requestOnLeg(downstream, {
      method: req.method,
      uri: out.uri,
      via: self.via(branch),
      maxForwards: Math.max(0, (Number(getHeader(req, 'Max-Forwards') ?? DEFAULT_MAX_FORWARDS) || DEFAULT_MAX_FORWARDS) - 1),
      routes,
      cseq: 1,
      contact: this.#d.self.contact(),
      copied: endToEndHeaders(out.headers),
      body: out.body,
    });
    mapSdpParts(forwarded, (sdp, i) => (i === 0 ? stampOrigin(downstream, sdp) : sdp));
    const txn: PendingTransaction = {
      method: req.method,
      inboundSide: 'upstream',
      outboundCseq: 1,
      branch,
      echo: echoHeaders(req),
      forwardedOffer: firstSdp(forwarded),
      created: verdict?.enforced === false ? [] : (verdict?.created ?? []),
      openedMedia: verdict?.enforced === false ? [] : (verdict?.openedMedia ?? []),
      initiatorId: initiator.id,
    };
    const hop: HopState = {
      id: `${call.id}/${hopIndex}`,
      upstream,
      downstream,
      token,
      linkedHop,
      transactions: { [transactionKey('downstream', 1, req.method)]: txn },
      pendingOffer: null,
      phase: 'early',
      endedByBye: false,
      resume,
    };
    call.hops.push(hop);
    await this.#save(call);
    await this.#index(call.id, hopIndex, upstream, downstream, token);
    return {
      kind: 'forward',
      to: { peerId: downstream.peerId, uri: target },
      message: forwarded,
      report: {
        ...report,
        initiator: initiator.id,
        action: 'forward',
        status: null,
        reasons,
        wouldHave: policed?.wouldHave ?? null,
      },
    };
  }

  async #handleInDialog(req: SipRequest, sender: Sender, toTag: string, base: ReportBase): Promise<ControllerOutcome> {
    const found = await this.#findLeg(`leg:${getHeader(req, 'Call-ID') ?? ''}:${toTag}`, sender, (hop, side) => hop[side].peerId === (sender.peer?.id ?? null) && hop.phase !== 'ended');
    if (found === null) {
      return this.#refuse(req, sender, { status: 481, reasons: [{ code: 'dialog.unknown' }], report: base });
    }
    const { call, hop, hopIndex, side } = found;
    const from = hop[side];
    const to = hop[otherSide(side)];
    const report = { ...base, call: call.id };
    // Dialog identifiers prove nothing about who sent a request: only the leg's own peer may use it.
    if (!this.#faces(from, sender)) {
      return this.#refuse(req, sender, { status: 403, reasons: [{ code: 'dialog.wrong-peer', peer: sender.label, detail: `${req.method} on a dialog of another peer` }], report });
    }
    const { actor: initiator, reasons } = this.#initiatorOf(req, sender);
    const reportAs = { ...report, initiator: initiator.id };
    // Requests that make the core work (re-offers, INFO, MESSAGE, PRACK, ACK …) count against the
    // peer's rate like new calls; ending what is under way (BYE, CANCEL) never does. An ACK over
    // the rate is dropped (it cannot be answered); the 2xx it acknowledges comes again.
    if (sender.peer !== undefined && !sender.actor.trusted && !UNMETERED_IN_DIALOG.has(req.method) && !this.#d.limiter.take(sender.peer)) {
      return this.#refuse(req, sender, { status: 503, reasons: [{ code: 'peer.rate-limited', peer: sender.label }], report: reportAs, headers: [{ name: 'Retry-After', value: '1' }], toTag: from.localTag });
    }
    // An ACK cannot be refused (RFC 3261 17.1.1.3): the shield deals with it as it goes.
    const unmet = to.trusted || req.method === 'ACK' ? null : unmetCriticalPrivacy(req, to.peerId ?? 'unknown');
    if (unmet !== null) {
      return this.#refuse(req, sender, { status: unmet.status, reasons: [...reasons, unmet.reason], report: reportAs, toTag: from.localTag });
    }
    // RFC 3261 17.1.1.3, 13.2.2.4: an ACK comes from whoever sent the INVITE it acknowledges, with
    // its CSeq number (so a re-INVITE of the other side in glare does not take the ACK's place).
    if (req.method === 'ACK' && parseCSeq(getHeader(req, 'CSeq') ?? '').seq !== from.inviteCseqIn) {
      return this.#refuse(req, sender, { status: 403, reasons: [{ code: 'dialog.wrong-peer', peer: sender.label, detail: 'ACK from the side that did not send the INVITE' }], report: reportAs });
    }
    // RFC 3262 3: a PRACK acknowledges a reliable provisional, which only an early dialog has.
    if (req.method === 'PRACK' && hop.phase !== 'early' && !sender.actor.trusted) {
      return this.#refuse(req, sender, { status: 481, reasons: [{ code: 'dialog.unknown', detail: 'PRACK outside an early dialog' }], report: reportAs, toTag: from.localTag });
    }

    let verdict: Verdict | null = null;
    // An AS relaying a hang-up from the other side of the call (a BYE the guard handed it, or
    // whose other hop has already ended) is not ending anybody's dialog on its own account.
    if (req.method === 'BYE' && !relaysPartnerBye(call, hopIndex, from.peerId)) {
      verdict = this.#d.engine.decide({ kind: 'terminate', initiator });
    } else if (req.method === 'REFER') {
      verdict = this.#d.engine.decide({ kind: 'transfer', initiator });
    }
    if (verdict !== null) {
      reasons.push(...verdict.reasons);
      if (verdict.enforced && verdict.action === 'reject') {
        return this.#refuse(req, sender, { status: verdict.status ?? 403, reasons: reasons, report: reportAs, toTag: from.localTag });
      }
    }

    const out: SipRequest = { kind: 'request', method: req.method, uri: req.uri, headers: [...req.headers], body: req.body };
    removeHeader(out, this.#initiatorHeader);
    if (!from.trusted) {
      admitUntrustedHeaders(out, this.#passHeaders);
      restoreIdentities(out, { issued: call.issued, originals: null, flow: flowFrom(side) });
    }
    let offer: { created: PendingTransaction['created']; openedMedia: PendingTransaction['openedMedia'] } | null = null;
    let wouldHave: DecisionReport['wouldHave'] = verdict === null ? null : monitorDifference(verdict, req.body);
    const admitted = this.#admitBody(out, from.trusted ? { trusted: true, id: sender.label } : sender.actor);
    // Only the side the offer was made to answers it (the one that sent the offerless INVITE).
    const pending = (req.method === 'ACK' || req.method === 'PRACK') && hop.pendingOffer?.inboundSide === side ? hop.pendingOffer : null;
    if (pending !== null && (isSdpBody(out) || !admitted.ok)) {
      const answered = this.#policeAnswer(call, pending, out, this.#actorOfLeg(from), true, admitted, partnerSdpSentTo(call, hopIndex, from.peerId));
      reasons.push(...answered.reasons);
      from.sdpForwarded = answered.agreed ?? from.sdpForwarded;
      hop.pendingOffer = null;
    } else if (!admitted.ok && req.method === 'ACK') {
      // An ACK cannot be refused (RFC 3261 17.1.1.3): it goes on without the body.
      removeBodyParts(out, () => false);
      reasons.push(admitted.reason);
    } else if (!admitted.ok) {
      return this.#refuse(req, sender, { status: admitted.status, reasons: [...reasons, admitted.reason], report: reportAs, headers: [{ name: 'Accept', value: ACCEPTED_BODY_TYPES }], toTag: from.localTag });
    } else if (req.method === 'ACK' && !from.trusted && out.body.length > 0) {
      // An ACK that answers no pending offer carries no SDP a receiver should read: default deny.
      removeBodyParts(out, () => false);
    } else if (isSdpBody(out) && req.method !== 'ACK') {
      // The baseline is what the guard itself forwarded toward this leg (or, when the AS relays
      // an offer the guard handed it on the partner hop, that offer): never the peer's own last SDP.
      const baseline = partnerOfferFor(call, hopIndex, from.peerId, req.method) ?? to.sdpForwarded;
      const policed = this.#policeOffer(call, initiator, out, req.method, false, baseline);
      if (policed !== null) {
        verdict = policed.verdict;
        wouldHave = policed.wouldHave;
        reasons.push(...admitted.reasons, ...verdict.reasons);
        if (verdict.enforced && verdict.action === 'reject') {
          return this.#refuse(req, sender, { status: verdict.status ?? 403, reasons: reasons, report: reportAs, toTag: from.localTag });
        }
        offer = { created: verdict.enforced ? verdict.created : [], openedMedia: verdict.enforced ? verdict.openedMedia : [] };
      }
    }
    if (!to.trusted) {
      const shielded = shieldIdentities(out, this.#shieldContext(call, to, otherSide(side), false));
      if (!shielded.ok) {
        return this.#refuse(req, sender, { status: shielded.status, reasons: [...reasons, shielded.reason], report: reportAs, toTag: from.localTag });
      }
    }

    const isAck = req.method === 'ACK';
    const cseq = isAck ? to.inviteCseq : ++to.localCseq;
    if (req.method === 'INVITE') {
      to.inviteCseq = cseq;
      from.inviteCseqIn = parseCSeq(getHeader(req, 'CSeq') ?? '').seq;
    }
    const copied = endToEndHeaders(out.headers).map((h) => (h.name === 'RAck' ? { name: 'RAck', value: mapRAck(h.value, to.inviteCseq) } : h));
    const branch = this.#d.ids.branch();
    const forwarded = requestOnLeg(to, {
      method: req.method,
      uri: to.remoteTarget,
      via: this.#d.self.via(branch),
      maxForwards: DEFAULT_MAX_FORWARDS,
      routes: to.routeSet,
      cseq,
      contact: req.method === 'INVITE' || req.method === 'UPDATE' ? this.#d.self.contact() : null,
      copied,
      body: out.body,
    });
    const sdpForwardedBefore = to.sdpForwarded;
    mapSdpParts(forwarded, (sdp, i) => (i === 0 ? stampOrigin(to, sdp) : sdp));
    if (!isAck) {
      const toSide = otherSide(side);
      hop.transactions[transactionKey(toSide, cseq, req.method)] = {
        method: req.method,
        inboundSide: side,
        outboundCseq: cseq,
        branch,
        echo: echoHeaders(req),
        forwardedOffer: offer === null ? null : firstSdp(forwarded),
        ...(offer === null ? {} : { sdpForwardedBefore }),
        created: offer?.created ?? [],
        openedMedia: offer?.openedMedia ?? [],
        initiatorId: initiator.id,
      };
    }
    await this.#save(call);
    return {
      kind: 'forward',
      // RFC 3261 12.2.1.1: an in-dialog request goes to the first route-set entry, else the remote target.
      to: { peerId: to.peerId, uri: this.#inDialogDestination(to) },
      message: forwarded,
      report: { ...reportAs, action: 'forward', status: null, reasons, wouldHave },
    };
  }

  async #handleCancel(req: SipRequest, sender: Sender, base: ReportBase): Promise<ControllerOutcome> {
    const found = await this.#findLeg(
      `early:${getHeader(req, 'Call-ID') ?? ''}:${tagOf(getHeader(req, 'From')) ?? ''}`,
      sender,
      (hop, side) => side === 'upstream' && hop.phase === 'early' && hop.upstream.peerId === (sender.peer?.id ?? null),
    );
    const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    const invite = found?.hop.transactions[transactionKey('downstream', found.hop.downstream.inviteCseq, 'INVITE')];
    if (found === null || invite === undefined || cseq.method !== 'CANCEL') {
      return this.#refuse(req, sender, { status: 481, reasons: [{ code: 'dialog.unknown' }], report: base });
    }
    const { call, hop } = found;
    // Only whoever sent the INVITE may cancel it (RFC 3261 9.1), whatever identifiers a CANCEL copies.
    if (!this.#faces(hop.upstream, sender)) {
      return this.#refuse(req, sender, { status: 403, reasons: [{ code: 'dialog.wrong-peer', peer: sender.label, detail: 'CANCEL of an INVITE another peer sent' }], report: { ...base, call: call.id } });
    }
    const down = hop.downstream;
    // RFC 3261 9.1: a CANCEL repeats the INVITE's Request-URI, Via branch, Call-ID, From, To and CSeq number.
    const forwarded = requestOnLeg(down, {
      method: 'CANCEL',
      uri: down.remoteTarget,
      via: this.#d.self.via(invite.branch),
      maxForwards: DEFAULT_MAX_FORWARDS,
      routes: down.routeSet,
      cseq: down.inviteCseq,
      contact: null,
      copied: endToEndHeaders(req.headers).filter((h) => h.name === 'Reason'),
      body: '',
    });
    if (forwarded.headers.some((h) => h.name === 'To')) {
      setHeader(forwarded, 'To', down.remoteUri);
    }
    return {
      kind: 'forward',
      to: { peerId: down.peerId, uri: down.target },
      message: forwarded,
      report: { ...base, call: call.id, initiator: sender.label, action: 'forward', status: null, reasons: [], wouldHave: null },
    };
  }

  /** An untrusted peer's body is admitted whole or not at all (body-admission.ts). */
  #admitBody(msg: SipMessage, sender: Pick<Actor, 'trusted' | 'id'>): BodyAdmission {
    const { guard } = this.#d.profile;
    return admitBody({
      body: sender.trusted ? NO_BODY : classifyMessageBody(msg),
      contentEncodings: getHeaderValues(msg, 'Content-Encoding'),
      senderTrusted: sender.trusted,
      senderLabel: sender.id,
      // Monitor mode reports what enforce would refuse and passes it.
      failOpen: guard.fail === 'open' || guard.mode === 'monitor',
    });
  }

  /**
   * Every SDP part of `msg` policed as an offer (one verdict each, same baseline): the parts are
   * rewritten in place, and one verdict stands for them all (a refusal of any refuses the offer).
   */
  #policeOffer(
    call: CallState,
    initiator: Actor,
    msg: SipMessage,
    method: string,
    initial: boolean,
    baseline: string | null,
  ): { verdict: Verdict; wouldHave: DecisionReport['wouldHave'] } | null {
    const verdicts: Verdict[] = [];
    let wouldHave: DecisionReport['wouldHave'] = null;
    mapSdpParts(msg, (sdp) => {
      const verdict = this.#decideOffer(call, initiator, sdp, method, initial, baseline);
      wouldHave ??= monitorDifference(verdict, sdp);
      verdicts.push(verdict);
      return verdict.enforced && verdict.sdp !== null ? verdict.sdp : sdp;
    });
    const [first, ...others] = verdicts;
    if (first === undefined) {
      return null;
    }
    const refusal = verdicts.find((v) => v.action === 'reject');
    const reasons = [...first.reasons, ...others.flatMap((v) => v.reasons)];
    return { verdict: { ...(refusal ?? first), reasons, created: first.created, openedMedia: first.openedMedia }, wouldHave };
  }

  /**
   * Every SDP part of `msg` policed as an answer to `offer`. A body the guard cannot admit from
   * the answerer is replaced by an answer written on its behalf, every m-line refused.
   */
  #policeAnswer(
    call: CallState,
    offer: Pick<PendingTransaction, 'forwardedOffer' | 'created' | 'openedMedia'>,
    msg: SipMessage,
    answerer: Actor,
    commit: boolean,
    admitted: BodyAdmission,
    relayed: string | null,
  ): { reasons: Reason[]; wouldHave: DecisionReport['wouldHave']; agreed: string | null } {
    if (!admitted.ok) {
      const answered = this.#decideAnswer(call, offer, '', answerer, commit, relayed);
      setSdpBody(msg, answered.body);
      return { reasons: [admitted.reason, ...answered.reasons], wouldHave: answered.wouldHave, agreed: answered.agreed };
    }
    const reasons: Reason[] = [...admitted.reasons];
    let wouldHave: DecisionReport['wouldHave'] = null;
    let agreed: string | null = null;
    mapSdpParts(msg, (sdp, i) => {
      const answered = this.#decideAnswer(call, offer, sdp, answerer, commit && i === 0, relayed);
      reasons.push(...answered.reasons);
      wouldHave ??= answered.wouldHave;
      agreed ??= answered.agreed;
      return answered.body;
    });
    return { reasons, wouldHave, agreed };
  }

  /**
   * The engine's verdict on an answer to an offer the guard forwarded (one path for 18x/2xx,
   * ACK and PRACK); the DCs the offer created are committed once an answer keeps them.
   */
  #decideAnswer(
    call: CallState,
    offer: Pick<PendingTransaction, 'forwardedOffer' | 'created' | 'openedMedia'>,
    body: string,
    answerer: Actor,
    commit: boolean,
    relayed: string | null,
  ): { body: string; reasons: readonly Reason[]; wouldHave: DecisionReport['wouldHave']; agreed: string | null } {
    const forwardedOffer = offer.forwardedOffer === null ? null : readSdpOrNull(offer.forwardedOffer);
    let answer: SdpView | null = null;
    let unreadable: string | undefined;
    try {
      answer = readSdp(body);
    } catch (error) {
      unreadable = (error as Error).message;
    }
    const verdict = this.#d.engine.decide({
      kind: 'answer',
      forwardedOffer,
      answer,
      answerRaw: body,
      ...(unreadable === undefined ? {} : { unreadable }),
      answerer,
      origin: this.#d.self.sdpAddress(),
      relayed: relayed === null ? null : readSdpOrNull(relayed),
    });
    const out = verdict.enforced ? (verdict.sdp ?? body) : body;
    let agreed: string | null = null;
    if (commit) {
      const committed = readSdpOrNull(out);
      if (committed !== null) {
        commitOwnership(call, offer, committed);
        agreed = forwardedOffer === null ? null : agreedSession(forwardedOffer, committed);
      }
    }
    return { body: out, reasons: verdict.reasons, wouldHave: monitorDifference(verdict, body), agreed };
  }

  /** The engine's verdict on an SDP offer, compared with what the initiator's side had before. */
  #decideOffer(call: CallState, initiator: Actor, body: string, method: string, initial: boolean, baseline: string | null): Verdict {
    let sdp: SdpView;
    try {
      sdp = readSdp(body);
    } catch (error) {
      return this.#d.engine.decide({ kind: 'unreadable-sdp', initiator, raw: body, detail: (error as Error).message });
    }
    return this.#d.engine.decide({
      kind: 'offer',
      method,
      initial,
      initiator,
      sdp,
      // A baseline the guard could not read counts as nothing: everything in the offer is new.
      baseline: baseline === null ? null : readSdpOrNull(baseline),
      owners: call.owners,
      mediaOwners: call.mediaOwners,
      servedUsers: call.servedUsers,
    });
  }

  #sender(source: Inbound): Sender {
    const peer = this.#d.peers.bySource(source);
    const label = peer?.id ?? `unknown:${source.address}`;
    const host = source.address.includes(':') ? `[${source.address}]` : source.address;
    const uri = `sip:${host}:${source.port}${source.transport === 'udp' ? '' : `;transport=${source.transport}`}`;
    return { peer, address: source.address, uri, label, actor: peer === undefined ? { id: label, trusted: false, grants: NO_GRANTS } : actorOf(peer) };
  }

  /**
   * Where an in-dialog request on `leg` goes (RFC 3261 12.2.1.1: first route-set entry, else the
   * remote target). Both come from the peer's own Contact and Record-Route: an untrusted peer
   * could point them at any host, and the guard's request would arrive there from a trusted
   * address. So toward an untrusted peer the destination must be one of that peer's own
   * addresses, else the guard sends to the peer's `uri`.
   */
  #inDialogDestination(leg: LegState): string {
    const wanted = firstRouteUri(leg.routeSet) ?? leg.remoteTarget;
    if (leg.trusted) {
      return wanted;
    }
    const host = uriHost(wanted);
    if (host !== null && isIpLiteral(host)) {
      const own = leg.peerId === null ? host === leg.sourceAddress?.toLowerCase() : this.#d.peers.byAddress(host)?.id === leg.peerId;
      if (own) {
        return wanted;
      }
    }
    // Never the peer's own Contact: its configured uri, else where its request came from, else
    // (a leg the guard opened) where the guard sent it.
    const configured = leg.peerId === null ? null : (this.#d.peers.byId(leg.peerId)?.uri ?? null);
    return configured ?? leg.sourceUri ?? leg.target;
  }

  /**
   * Whether a message from `sender` may act on `leg`: it must come from the peer the leg faces.
   * A leg toward an address no peer matches is faced only by that address itself.
   */
  #faces(leg: LegState, sender: Sender): boolean {
    if (leg.peerId !== null) {
      return leg.peerId === (sender.peer?.id ?? null);
    }
    if (sender.peer !== undefined) {
      return false;
    }
    if (leg.sourceAddress !== null) {
      return leg.sourceAddress.toLowerCase() === sender.address.toLowerCase();
    }
    const host = uriHost(leg.target);
    return host === null || !isIpLiteral(host) || host === sender.address.toLowerCase();
  }

  #actorOfLeg(leg: LegState): Actor {
    const peer = leg.peerId === null ? undefined : this.#d.peers.byId(leg.peerId);
    return peer === undefined ? { id: 'unknown', trusted: false, grants: NO_GRANTS } : actorOf(peer);
  }

  /** The initiator header names the AS a trusted peer acts for; from anyone else it is ignored. */
  #initiatorOf(req: SipRequest, sender: Sender): { actor: Actor; reasons: Reason[] } {
    const named = getHeader(req, this.#initiatorHeader)?.trim();
    if (named === undefined || named === '') {
      return { actor: sender.actor, reasons: [] };
    }
    if (!sender.actor.trusted) {
      return { actor: sender.actor, reasons: [{ code: 'initiator.ignored', peer: sender.label, detail: `${this.#initiatorHeader} from an untrusted peer` }] };
    }
    const peer = this.#d.peers.byId(named);
    if (peer === undefined) {
      return { actor: { id: `unknown:${named}`, trusted: false, grants: NO_GRANTS }, reasons: [{ code: 'initiator.unknown', detail: named }] };
    }
    return { actor: actorOf(peer), reasons: [] };
  }

  #shieldContext(call: CallState, leg: LegState, legSide: LegSide, dialogCreating: boolean): Parameters<typeof shieldIdentities>[1] {
    return {
      peerId: leg.peerId ?? 'unknown',
      mode: leg.identity,
      pseudonymizer: this.#d.pseudonymizer,
      issued: call.issued,
      dialogCreating,
      // Sent on a hop's downstream leg, a message goes toward the callee's side.
      flow: legSide === 'downstream' ? 'down' : 'up',
      passHeaders: this.#passHeaders,
      sdpSession: { ...this.#d.self.sdpAddress(), sessionId: legSessionId(leg.callId) },
    };
  }

  async #findLeg(key: string, sender: Sender, accepts: (hop: HopState, side: LegSide) => boolean): Promise<FoundLeg | null> {
    const address = await this.#d.store.lookup(key);
    if (address !== undefined) {
      return this.#resolve(address);
    }
    const peerId = sender.peer?.id ?? null;
    return (this.#d.matching ?? STRICT_MATCHING).fallbackLeg(this.#d.store, (hop, side) => hop[side].peerId === peerId && accepts(hop, side));
  }

  async #resolve(address: LegAddress): Promise<{ call: CallState; hop: HopState; hopIndex: number; side: LegSide } | null> {
    const call = await this.#d.store.get(address.callStateId);
    const hop = call?.hops[address.hop];
    return call === undefined || hop === undefined ? null : { call, hop, hopIndex: address.hop, side: address.side };
  }

  async #index(callStateId: string, hop: number, upstream: LegState, downstream: LegState, token: string | null): Promise<void> {
    const { store } = this.#d;
    await store.index(`leg:${upstream.callId}:${upstream.localTag}`, { callStateId, hop, side: 'upstream' });
    await store.index(`early:${upstream.callId}:${upstream.remoteTag ?? ''}`, { callStateId, hop, side: 'upstream' });
    await store.index(`leg:${downstream.callId}:${downstream.localTag}`, { callStateId, hop, side: 'downstream' });
    if (token !== null) {
      await store.index(`token:${token}`, { callStateId, hop, side: 'downstream' });
    }
  }

  async #save(call: CallState): Promise<void> {
    call.updatedAt = this.#d.now();
    if (call.hops.length > 0 && call.hops.every((h) => h.phase === 'ended')) {
      await this.#d.store.delete(call.id);
    } else {
      await this.#d.store.put(call);
    }
  }

  #refuse(req: SipRequest, sender: Sender, refusal: Refusal): ControllerOutcome {
    const { status, reasons, report, headers: extra = [], toTag = null } = refusal;
    const done: DecisionReport = { ...report, action: 'reject', status, reasons, wouldHave: null };
    if (req.method === 'ACK') {
      return { kind: 'drop', report: { ...done, action: 'drop', status: null } };
    }
    const warning = warningFor(this.#d.self.host, reasons);
    const response = responseOnLeg(echoHeaders(req), status, reasonPhrase(status), toTag ?? this.#d.ids.tag(), [
      ...extra,
      ...(warning === null ? [] : [warning]),
    ]);
    const to: Destination = { peerId: sender.peer?.id ?? null, uri: contactUri(req) ?? req.uri };
    return { kind: 'reply', to, response, report: done };
  }
}

type ReportBase = Pick<DecisionReport, 'call' | 'from' | 'initiator' | 'message'>;

function actorOf(peer: Peer): Actor {
  return { id: peer.id, trusted: peer.trusted, grants: peer.grants };
}

function firstRouteUri(routeSet: readonly string[]): string | null {
  return nameAddrUri(routeSet[0]);
}

/** Lower-cased, unbracketed host of a SIP URI, or null. */
function uriHost(uri: string): string | null {
  const parsed = parseUri(uri);
  return parsed === null ? null : parsed.host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}

/** Which way a message received on a leg of `side` crosses the call: from the upstream leg it goes down. */
function flowFrom(side: LegSide): Flow {
  return side === 'upstream' ? 'down' : 'up';
}

/**
 * The `o=` session id the guard writes toward an untrusted peer on one leg: stable for the leg
 * (RFC 8866 5.2: it names the session), derived from the guard's own Call-ID of that leg, which
 * carries nothing of the user.
 */
function legSessionId(callId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < callId.length; i += 1) {
    hash = Math.imul(hash ^ callId.charCodeAt(i), 0x01000193) >>> 0;
  }
  return String(hash);
}

function withoutUriHeaders(uri: string): string {
  const q = uri.indexOf('?');
  return q === -1 ? uri : uri.slice(0, q);
}

function contactUri(msg: SipMessage): string | null {
  return nameAddrUri(getHeaderValues(msg, 'Contact')[0]);
}

/** RFC 3262 7.2: RAck names the INVITE's CSeq number, which differs on each leg. */
function mapRAck(value: string, inviteCseq: number): string {
  const parts = value.trim().split(/\s+/);
  return parts.length === 3 ? `${parts[0]} ${inviteCseq} ${parts[2]}` : value;
}

function monitorDifference(verdict: Verdict, original: string): DecisionReport['wouldHave'] {
  if (verdict.enforced) {
    return null;
  }
  const sdpChanged = verdict.sdp !== null && verdict.sdp !== original;
  if (verdict.action === 'forward' && !sdpChanged) {
    return null;
  }
  return { action: verdict.action, status: verdict.status, sdpChanged };
}
