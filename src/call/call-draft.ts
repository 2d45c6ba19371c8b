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

export function draftOf(call: CallState): CallDraft {
  return { ...call, owners: [...call.owners], mediaOwners: [...call.mediaOwners], issued: { ...call.issued }, hops: call.hops.map(hopDraft) };
}

function hopDraft(hop: HopState): HopDraft {
  return { ...hop, upstream: { ...hop.upstream }, downstream: { ...hop.downstream }, transactions: { ...hop.transactions } };
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

/** The hop of a draft that its state was found to have. */
export function hopOf(call: CallDraft, index: number): HopDraft {
  const hop = call.hops[index];
  if (hop === undefined) {
    throw new RangeError(`call ${call.id} has no hop ${index}`);
  }
  return hop;
}
