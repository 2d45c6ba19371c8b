/**
 * The one module that reads and writes call state. A step works on what `locate` read; `commit`
 * writes the step's next state with compare-and-set on the call's version, so a write made from
 * a read that another message has since overtaken is refused, and the controller does the step
 * again on the state as it now is.
 */
import type { CallState, HopState, LegSide } from '../state/call-state.ts';
import type { CallStore, LegAddress } from '../state/call-store.ts';
import type { LegMatching, Located } from './leg-matching.ts';
import { dueIndexOf, type SessionDueIndex } from './session-due-index.ts';
import type { IndexEntry } from './step-context.ts';
import { sessionDueAt } from './step-session-expiry.ts';

export class CallRepository {
  readonly #store: CallStore;
  readonly #matching: LegMatching;
  readonly #due: SessionDueIndex;

  constructor(store: CallStore, matching: LegMatching) {
    this.#store = store;
    this.#matching = matching;
    this.#due = dueIndexOf(store);
  }

  /** The call and leg `key` names; `accepts` only for the lenient matching of `dc-guard check`. */
  async locate(key: string, accepts: (hop: HopState, side: LegSide) => boolean): Promise<Located | null> {
    let address: LegAddress | undefined;
    let call: CallState | undefined;
    if (this.#store.locate === undefined) {
      address = await this.#store.lookup(key);
      call = address === undefined ? undefined : await this.#store.get(address.callStateId);
    } else {
      ({ leg: address, call } = (await this.#store.locate(key)) ?? { leg: undefined, call: undefined });
    }
    if (address === undefined) {
      return this.#matching.fallbackLeg(this.#store, accepts);
    }
    return call === undefined || call.hops[address.hop] === undefined ? null : { call, hop: address.hop, side: address.side };
  }

  /** Live calls of each peer, in one round trip of a shared store. */
  liveCalls(peerIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    return this.#store.liveCallsOfPeers([...new Set(peerIds)]);
  }

  /** False while a shared store cannot be reached: the step is told (`guard.fail` decides). */
  reachable(): boolean {
    return this.#store.reachable?.() ?? true;
  }

  /**
   * Writes what a step made of `before`: nothing when it changed nothing, the call gone when its
   * every hop has ended. False when the call changed since it was read: nothing was written.
   */
  async commit(before: CallState | null, next: CallState | null, index: readonly IndexEntry[]): Promise<boolean> {
    if (next === null || next === before) {
      return true;
    }
    if (next.hops.length > 0 && next.hops.every((h) => h.phase === 'ended')) {
      await this.#store.delete(next.id);
      this.#due.note(next.id, null);
      return true;
    }
    // The call and the keys of its legs in one write: no instance ever finds a key without its call.
    const written = await this.#store.put(
      next,
      index.map((entry) => ({ key: entry.key, leg: { callStateId: next.id, hop: entry.hop, side: entry.side } })),
    );
    if (written) {
      this.#due.note(next.id, sessionDueAt(next));
    }
    return written;
  }

  /** Calls whose session timer, as this instance last wrote or read them, has run out by `now`. */
  sessionsDueBy(now: number): string[] {
    return this.#due.dueBy(now);
  }

  /** The call as stored now (null: gone), its due time noted again for the next sweep. */
  async current(id: string): Promise<CallState | null> {
    const call = (await this.#store.get(id)) ?? null;
    this.#due.note(id, call === null ? null : sessionDueAt(call));
    return call;
  }

  /**
   * Writes a call the guard ended itself (every hop ended, `next` made from `before`):
   * compare-and-set first, so a refresh another instance wrote since the read wins, then
   * deleted with its keys and live-call counts. False when the call changed meanwhile.
   */
  async commitEnded(next: CallState): Promise<boolean> {
    if (!(await this.#store.put(next, []))) {
      return false;
    }
    await this.#store.delete(next.id);
    this.#due.note(next.id, null);
    return true;
  }

  expire(idleSince: { readonly early: number; readonly confirmed: number }): Promise<number> {
    return this.#store.expire(idleSince);
  }
}
