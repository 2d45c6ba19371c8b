/**
 * A step's working copy of a call. A step never changes the state it was given: it copies what
 * it may change into a draft, changes the draft, and hands the draft back as the next state.
 * A path that refuses simply drops its draft, so a refusal cannot leave half a change behind.
 * Parts no step changes in place (transactions, identities, echo headers) are shared, not copied.
 */
import type { DcOwner, MediaOwner } from '../policy/verdict.ts';
import type { IssuedIdentity } from '../privacy/issued-identity.ts';
import type { CallState, HopState, LegState, PendingTransaction } from '../state/call-state.ts';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export type LegDraft = Writable<LegState>;

export interface HopDraft extends Omit<Writable<HopState>, 'upstream' | 'downstream' | 'transactions'> {
  upstream: LegDraft;
  downstream: LegDraft;
  transactions: Record<string, PendingTransaction>;
}

export interface CallDraft extends Omit<Writable<CallState>, 'hops' | 'owners' | 'mediaOwners' | 'issued'> {
  hops: HopDraft[];
  owners: DcOwner[];
  mediaOwners: MediaOwner[];
  issued: Record<string, IssuedIdentity>;
}

/*
 * Drafts are written field by field rather than spread: every message drafts its call, and a
 * spread of a state object into a literal with more fields took V8's slow clone path (states
 * come from several places, in several shapes). The types keep the copies whole: a required
 * field left out does not compile. An optional field must be copied by hand, as sessionTimer is.
 */
export function draftOf(call: CallState): CallDraft {
  return {
    id: call.id,
    version: call.version,
    createdAt: call.createdAt,
    updatedAt: call.updatedAt,
    servedUsers: call.servedUsers,
    owners: [...call.owners],
    mediaOwners: [...call.mediaOwners],
    issued: { ...call.issued },
    originals: call.originals,
    hops: call.hops.map(hopDraft),
  };
}

function hopDraft(hop: HopState): HopDraft {
  const draft: HopDraft = {
    id: hop.id,
    upstream: legDraft(hop.upstream),
    downstream: legDraft(hop.downstream),
    token: hop.token,
    linkedHop: hop.linkedHop,
    transactions: { ...hop.transactions },
    phase: hop.phase,
    endedByBye: hop.endedByBye,
    resume: hop.resume,
  };
  if (hop.sessionTimer !== undefined) {
    draft.sessionTimer = hop.sessionTimer;
  }
  return draft;
}

function legDraft(leg: LegState): LegDraft {
  return {
    peerId: leg.peerId,
    trusted: leg.trusted,
    identity: leg.identity,
    target: leg.target,
    sourceAddress: leg.sourceAddress,
    sourceUri: leg.sourceUri,
    callId: leg.callId,
    localTag: leg.localTag,
    remoteTag: leg.remoteTag,
    localUri: leg.localUri,
    remoteUri: leg.remoteUri,
    remoteTarget: leg.remoteTarget,
    routeSet: leg.routeSet,
    localCseq: leg.localCseq,
    inviteCseq: leg.inviteCseq,
    inviteCseqIn: leg.inviteCseqIn,
    sdpSent: leg.sdpSent,
    negotiation: leg.negotiation,
  };
}

/** A call that does not exist yet: the first hop of a new dialog-creating request is added to it. */
export function newCallDraft(id: string, now: number): CallDraft {
  return { id, version: 0, createdAt: now, updatedAt: now, servedUsers: [], owners: [], mediaOwners: [], issued: {}, originals: null, hops: [] };
}

/** The draft as the next state: one version on from the state it was drafted from, stamped with the time of the message that made it. */
export function settle(draft: CallDraft, now: number): CallState {
  draft.version += 1;
  draft.updatedAt = now;
  return draft;
}

/**
 * The hop's transactions without `key`, as a new record. Not `delete`: a deleted key turns the
 * record into a slow dictionary in V8, and every later draft of the hop copies it.
 */
export function forgetTransaction(hop: HopDraft, key: string): void {
  if (!Object.hasOwn(hop.transactions, key)) {
    return;
  }
  const kept: Record<string, PendingTransaction> = {};
  for (const [other, txn] of Object.entries(hop.transactions)) {
    if (other !== key) {
      kept[other] = txn;
    }
  }
  hop.transactions = kept;
}

/** The hop of a draft that its state was found to have. */
export function hopOf(call: CallDraft, index: number): HopDraft {
  const hop = call.hops[index];
  if (hop === undefined) {
    throw new RangeError(`call ${call.id} has no hop ${index}`);
  }
  return hop;
}
