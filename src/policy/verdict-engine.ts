import type { Profile } from '../profile/profile-types.ts';
import type { DcChannel, DcChannelRef, DcDiff, SdpView } from '../sdp/sdp-types.ts';
import { diffDcOffers } from '../sdp/dc-diff.ts';
import { applyDcEdits } from '../sdp/dc-rewrite.ts';
import { refuseDcMediaInText } from '../sdp/refuse-dc-media-in-text.ts';
import { everyMediaRefused } from '../sdp/sdp-raw-lines.ts';
import { decideAnswer } from './answer-verdict.ts';
import { BOOTSTRAP_CONSENT_APP, ConsentBook, type ConsentOverlay } from './consent.ts';
import type { Reason } from './reason.ts';
import { withMode, type PolicyOutcome } from './monitor-mode.ts';
import type { DcOwner, MediaOwner, Verdict } from './verdict.ts';

export type { AnswerFacts, OfferFacts, TerminateFacts, TransferFacts, UnreadableSdpFacts, VerdictFacts } from './verdict-facts.ts';
import type { OfferFacts, UnreadableSdpFacts, VerdictFacts } from './verdict-facts.ts';

type Outcome = PolicyOutcome;

/**
 * The decision engine: plain facts in, a verdict out. No I/O, no clock, no state of its own;
 * the call controller feeds it and applies what it says.
 */
export class VerdictEngine {
  readonly #guard: Profile['guard'];
  readonly #consent: ConsentBook;

  /** `consentOverlay`: the admin API's consent records, which replace the profile's per user. */
  constructor(profile: Profile, consentOverlay: ConsentOverlay | null = null) {
    this.#guard = profile.guard;
    this.#consent = new ConsentBook(profile.consent, consentOverlay);
  }

  decide(facts: VerdictFacts): Verdict {
    return withMode(this.#decide(facts), this.#guard.mode, rawSdpOf(facts));
  }

  #decide(facts: VerdictFacts): Outcome {
    switch (facts.kind) {
      case 'offer':
        return this.#decideOffer(facts);
      case 'unreadable-sdp':
        return this.#decideUnreadable(facts);
      case 'answer':
        return decideAnswer(facts, this.#guard.fail);
      case 'terminate':
        return facts.initiator.trusted || facts.initiator.grants.terminate
          ? forward([], null)
          : reject(403, [{ code: 'dialog.terminate-not-granted', peer: facts.initiator.id }]);
      case 'transfer':
        return facts.initiator.trusted || facts.initiator.grants.modify === 'any'
          ? forward([], null)
          : reject(403, [{ code: 'dialog.modify-not-granted', peer: facts.initiator.id, detail: 'REFER' }]);
    }
  }

  #decideOffer(facts: OfferFacts): Outcome {
    const { initiator, sdp } = facts;
    const diff = diffDcOffers(facts.baseline, sdp);
    if (facts.storeDown === true && this.#guard.fail === 'closed' && (diff.added.length > 0 || diff.openedMedia.length > 0)) {
      const violations = initiator.trusted ? [] : this.#modifyViolations(facts, diff);
      return violations.length > 0 ? reject(403, violations) : refuseAdditions(sdp, diff);
    }
    if (initiator.trusted) {
      return { ...forward([], sdp.raw), created: createdBy(initiator.id, diff.added), openedMedia: openedBy(initiator.id, diff.openedMedia) };
    }

    // TS 24.186 9.3 threat model: a third party may touch only the DCs its grant covers; any
    // attempt on another's DC refuses the whole request so the dialog stays as it was.
    const violations = this.#modifyViolations(facts, diff);
    if (violations.length > 0) {
      return reject(403, violations);
    }

    const refusedMedia = new Set<number>();
    const reasons: Reason[] = [];
    // `max_bandwidth_kbps` holds for the call: the DC m-lines this peer has open, and those it
    // opens now in offer order, together (two lines at the cap each are twice the cap).
    let bandwidth = ownedBandwidth(facts, new Set(diff.openedMedia));
    const cap = initiator.grants.maxBandwidthKbps;
    for (const mediaIndex of diff.openedMedia) {
      const media = sdp.dcMedia.find((m) => m.index === mediaIndex);
      if (media === undefined) {
        continue;
      }
      if (cap !== null && (media.bandwidthKbps === null || bandwidth + media.bandwidthKbps > cap)) {
        refusedMedia.add(mediaIndex);
        const detail =
          media.bandwidthKbps === null
            ? `no b=AS; cap is ${cap} kbps`
            : bandwidth === 0
              ? `b=AS:${media.bandwidthKbps} over cap ${cap}`
              : `b=AS:${media.bandwidthKbps} on top of the ${bandwidth} kbps this peer has open in the call is over cap ${cap}`;
        reasons.push({ code: 'dc.cap-bandwidth', peer: initiator.id, mediaIndex, detail });
      } else if (media.channels.length === 0 && !initiator.grants.apps.includes('*')) {
        // An SCTP association with no dcmap lets channels be opened in band (DCEP), out of the guard's sight.
        refusedMedia.add(mediaIndex);
        reasons.push({ code: 'dc.app-not-granted', peer: initiator.id, mediaIndex, appId: null, detail: 'DC m-line without a=dcmap' });
      } else {
        bandwidth += media.bandwidthKbps ?? 0;
      }
    }

    const refusedChannels: DcChannelRef[] = [];
    const created: DcOwner[] = [];
    let owned = countOwnedOpen(facts.owners, initiator.id, sdp);
    for (const added of diff.added) {
      if (refusedMedia.has(added.mediaIndex)) {
        continue;
      }
      const refusal = this.#refuseAddition(facts, added.channel, owned, added);
      if (refusal === null) {
        owned += 1;
        created.push({ mediaIndex: added.mediaIndex, streamId: added.streamId, owner: initiator.id });
      } else {
        refusedChannels.push({ mediaIndex: added.mediaIndex, streamId: added.streamId });
        reasons.push(refusal);
      }
    }
    // A channel changed in place is what it became: the grant that covers it is checked again
    // (modify: own lets a peer change its channel, not turn it into another application).
    for (const change of diff.changed) {
      if (refusedMedia.has(change.mediaIndex)) {
        continue;
      }
      const refusal = this.#refuseAddition(facts, change.after, Number.NEGATIVE_INFINITY, change);
      if (refusal !== null) {
        refusedChannels.push({ mediaIndex: change.mediaIndex, streamId: change.streamId });
        reasons.push(refusal);
      }
    }
    const openedMedia = openedBy(initiator.id, diff.openedMedia.filter((index) => !refusedMedia.has(index)));

    if (reasons.length === 0) {
      return { ...forward([], sdp.raw), created, openedMedia };
    }
    if (this.#guard.onUnauthorizedDc === 'reject') {
      return reject(403, reasons);
    }
    const stripped = applyDcEdits(sdp, { refuseMedia: [...refusedMedia], removeChannels: refusedChannels });
    if (!facts.initial && created.length === 0 && onlyDcAdditions(diff) && sameNonDcContent(facts.baseline, sdp)) {
      // TS 24.186 9.3.2.2: a re-offer whose only change is a refused DC is answered 488.
      return reject(488, reasons);
    }
    if (everyMediaRefused(stripped)) {
      // A standalone DC offer (TS 23.228 AG: DC m-lines only) with every line refused: an offer
      // with nothing left in it would only make the far end answer it; the offerer gets 488.
      return reject(488, reasons);
    }
    return { ...forward(reasons, stripped), created, openedMedia };
  }

  #modifyViolations(facts: OfferFacts, diff: DcDiff): Reason[] {
    const { initiator } = facts;
    const mayTouch = (owner: string | undefined): boolean =>
      initiator.grants.modify === 'any' || (initiator.grants.modify === 'own' && owner === initiator.id);
    const violations: Reason[] = [];
    const touchedDcs = [
      ...diff.removed.map((r) => ({ ...r, verb: 'closes' })),
      ...diff.changed.map((c) => ({ ...c, verb: 'changes' })),
    ];
    for (const touched of touchedDcs) {
      const owner = facts.owners.find((o) => o.mediaIndex === touched.mediaIndex && o.streamId === touched.streamId)?.owner;
      if (!mayTouch(owner)) {
        violations.push({
          code: 'dialog.modify-not-granted',
          peer: initiator.id,
          mediaIndex: touched.mediaIndex,
          streamId: touched.streamId,
          detail: `${touched.verb} a DC owned by ${owner ?? 'the dialog parties'}`,
        });
      }
    }
    const ownedNow = diff.bandwidthRaised.length === 0 ? 0 : ownedBandwidth(facts, new Set());
    for (const raised of diff.bandwidthRaised) {
      const owner = facts.mediaOwners.find((m) => m.mediaIndex === raised.mediaIndex)?.owner;
      const cap = initiator.grants.maxBandwidthKbps;
      if (!mayTouch(owner)) {
        violations.push({ code: 'dialog.modify-not-granted', peer: initiator.id, mediaIndex: raised.mediaIndex, detail: `raises b=AS of a DC m-line opened by ${owner ?? 'the dialog parties'}` });
      } else if (cap !== null && (raised.after === null || raised.after > cap)) {
        violations.push({ code: 'dc.cap-bandwidth', peer: initiator.id, mediaIndex: raised.mediaIndex, detail: `b=AS:${raised.after ?? 'unlimited'} over cap ${cap}` });
      } else if (cap !== null && owner === initiator.id && ownedNow > cap) {
        const total = ownedNow;
        violations.push({ code: 'dc.cap-bandwidth', peer: initiator.id, mediaIndex: raised.mediaIndex, detail: `b=AS:${raised.after} brings this peer's DC m-lines in the call to ${total} kbps, over cap ${cap}` });
      }
    }
    return violations;
  }

  /** The reason `channel` (at `at`) may not be added, or null; written whole (spreading a partial reason into a longer literal took V8's slow clone path). */
  #refuseAddition(facts: OfferFacts, channel: DcChannel, ownedSoFar: number, at: { readonly mediaIndex: number; readonly streamId: number }): Reason | null {
    const { initiator } = facts;
    const { mediaIndex, streamId } = at;
    const grants = initiator.grants;
    if (channel.kind === 'bootstrap') {
      if (!grants.bootstrap) {
        return { code: 'dc.bootstrap-not-granted', peer: initiator.id, mediaIndex, streamId };
      }
    } else if (!grants.apps.includes('*') && (channel.appId === null || !grants.apps.includes(channel.appId))) {
      return { code: 'dc.app-not-granted', peer: initiator.id, appId: channel.appId, mediaIndex, streamId };
    }
    const consentApp = channel.kind === 'bootstrap' ? BOOTSTRAP_CONSENT_APP : channel.appId;
    if (facts.servedUsers.some((user) => !this.#consent.allows(user, initiator.id, consentApp))) {
      return { code: 'dc.consent-denied', peer: initiator.id, appId: consentApp, mediaIndex, streamId };
    }
    if (grants.maxChannels !== null && ownedSoFar >= grants.maxChannels) {
      return { code: 'dc.cap-channels', peer: initiator.id, detail: `cap is ${grants.maxChannels} channels per call`, mediaIndex, streamId };
    }
    return null;
  }

  #decideUnreadable(facts: UnreadableSdpFacts): Outcome {
    const reasons: Reason[] = [{ code: 'sdp.unparseable', peer: facts.initiator.id, detail: facts.detail }];
    if (facts.initiator.trusted || this.#guard.fail === 'open') {
      return forward(reasons, facts.raw);
    }
    // Fail closed: the DC part is refused, the call is not.
    return forward(reasons, refuseDcMediaInText(facts.raw));
  }
}

/**
 * `guard.fail: closed` with the state store down: a DC added now could not be recorded as its
 * initiator's where every instance sees it, so every new DC m-line is refused (port 0) and
 * every new channel removed; the rest of the offer goes on.
 */
function refuseAdditions(sdp: SdpView, diff: DcDiff): Outcome {
  const detail = 'state store unreachable (guard.fail closed): no DC is added';
  const opened = new Set(diff.openedMedia);
  const channels = diff.added.filter((a) => !opened.has(a.mediaIndex));
  const reasons: Reason[] = [
    ...diff.openedMedia.map((mediaIndex): Reason => ({ code: 'state.unavailable', mediaIndex, detail })),
    ...channels.map((a): Reason => ({ code: 'state.unavailable', mediaIndex: a.mediaIndex, streamId: a.streamId, detail })),
  ];
  const stripped = applyDcEdits(sdp, { refuseMedia: [...opened], removeChannels: channels.map((a) => ({ mediaIndex: a.mediaIndex, streamId: a.streamId })) });
  return forward(reasons, stripped);
}

/**
 * The `b=AS` of the DC m-lines `facts.initiator` opened and keeps open in this offer (port not
 * 0), as the offer writes them now, but for `except` (the ones it opens now: counted one by one).
 */
function ownedBandwidth(facts: OfferFacts, except: ReadonlySet<number>): number {
  let total = 0;
  for (const media of facts.sdp.dcMedia) {
    const owner = facts.mediaOwners.find((m) => m.mediaIndex === media.index)?.owner;
    if (owner === facts.initiator.id && media.port !== 0 && !except.has(media.index)) {
      total += media.bandwidthKbps ?? 0;
    }
  }
  return total;
}

function forward(reasons: readonly Reason[], sdp: string | null): Outcome {
  return { action: 'forward', status: null, reasons, sdp, created: [], openedMedia: [] };
}

function reject(status: number, reasons: readonly Reason[]): Outcome {
  return { action: 'reject', status, reasons, sdp: null, created: [], openedMedia: [] };
}

function createdBy(owner: string, added: DcDiff['added']): DcOwner[] {
  return added.map((a) => ({ mediaIndex: a.mediaIndex, streamId: a.streamId, owner }));
}

function openedBy(owner: string, indexes: readonly number[]): MediaOwner[] {
  return indexes.map((mediaIndex) => ({ mediaIndex, owner }));
}

/** Channels the initiator already owns that stay open in this offer: they count against its cap. */
function countOwnedOpen(owners: readonly DcOwner[], owner: string, sdp: SdpView): number {
  let count = 0;
  for (const media of sdp.dcMedia) {
    if (media.port === 0) {
      continue;
    }
    for (const channel of media.channels) {
      if (owners.some((o) => o.owner === owner && o.mediaIndex === media.index && o.streamId === channel.streamId)) {
        count += 1;
      }
    }
  }
  return count;
}

function onlyDcAdditions(diff: DcDiff): boolean {
  return diff.removed.length === 0 && diff.changed.length === 0 && diff.bandwidthRaised.length === 0;
}

/** Whether two SDPs agree on everything but their DC m-lines and `o=` line. */
function sameNonDcContent(before: SdpView | null, after: SdpView): boolean {
  return before !== null && nonDcSignature(before) === nonDcSignature(after);
}

function nonDcSignature(view: SdpView): string {
  const dcIndexes = new Set(view.dcMedia.map((m) => m.index));
  const kept: string[] = [];
  let mediaIndex = -1;
  for (const line of view.raw.split(/\r\n|\r|\n/)) {
    if (line.startsWith('m=')) {
      mediaIndex += 1;
    }
    if (!dcIndexes.has(mediaIndex) && !line.startsWith('o=') && line.trim() !== '') {
      kept.push(line.trimEnd());
    }
  }
  return kept.join('\n');
}

/** The SDP text a verdict was asked about, if any: what monitor mode compares the decision with. */
function rawSdpOf(facts: VerdictFacts): string | null {
  switch (facts.kind) {
    case 'offer':
      return facts.sdp.raw;
    case 'unreadable-sdp':
      return facts.raw;
    case 'answer':
      return facts.answerRaw;
    default:
      return null;
  }
}
