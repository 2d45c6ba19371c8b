/**
 * What goes on while the shared state store cannot be reached (`guard.fail`). A change an
 * untrusted peer makes to a call now could not be recorded where every guard instance sees it,
 * and the call's record the guard works on may be out of date, so under `closed` (default) an
 * untrusted peer's in-dialog changes are refused for a while; the core's requests go on, and
 * no DC is added by anyone (verdict-engine.ts). Under `open`, or in monitor mode, everything
 * proceeds. Either way the decision carries a `state.unavailable` reason, so it is logged.
 */
import type { FailMode, GuardMode, Peer } from '../profile/profile-types.ts';
import type { PolicyRefusal } from './policy-refusal.ts';
import type { Reason } from './reason.ts';

/** Requests that change a dialog: what its offer, its parties or its existence are. */
const CHANGES = new Set(['INVITE', 'UPDATE', 'BYE', 'REFER']);

export interface StoreDownFacts {
  readonly storeDown: boolean;
  readonly fail: FailMode;
  readonly mode: GuardMode;
  readonly senderTrusted: boolean;
  readonly method: string;
  /** A BYE an AS relays from the other side of the call ends nothing on its own account. */
  readonly relaysHangUp: boolean;
}

/** The reason every decision made while the store is down carries, or null while it is up. */
export function storeDownReason(facts: Pick<StoreDownFacts, 'storeDown' | 'fail' | 'mode'>): Reason | null {
  if (!facts.storeDown) {
    return null;
  }
  const open = facts.fail === 'open' || facts.mode === 'monitor';
  return { code: 'state.unavailable', detail: `state store unreachable (guard.fail ${open ? 'open: proceeding' : 'closed'})` };
}

/** An untrusted peer's in-dialog change while the store is down under `guard.fail: closed`: 503, try again shortly. */
export function admitInDialogWhileStoreDown(facts: StoreDownFacts): PolicyRefusal | null {
  const reason = storeDownReason(facts);
  if (reason === null || facts.fail === 'open' || facts.mode === 'monitor' || facts.senderTrusted) {
    return null;
  }
  if (!CHANGES.has(facts.method) || (facts.method === 'BYE' && facts.relaysHangUp)) {
    return null;
  }
  return { status: 503, reasons: [reason], headers: [{ name: 'Retry-After', value: '5' }] };
}

/**
 * A new call an untrusted peer with a `concurrent_calls` cap starts while the store is down:
 * each instance then counts only the calls it holds itself, so over N instances the peer could
 * have N times its cap up. Under `guard.fail: closed` its new calls wait (503, Retry-After);
 * a route-back into a call already up (`returning`) is no new call, and the core's calls go on.
 */
export function admitNewCallWhileStoreDown(
  facts: Pick<StoreDownFacts, 'storeDown' | 'fail' | 'mode'> & { readonly peer: Peer | undefined; readonly returning: boolean },
): PolicyRefusal | null {
  const { peer } = facts;
  if (!facts.storeDown || facts.fail === 'open' || facts.mode === 'monitor' || facts.returning) {
    return null;
  }
  if (peer === undefined || peer.trusted || peer.limits.concurrentCalls === null) {
    return null;
  }
  const detail = 'state store unreachable (guard.fail closed): the calls of a peer with concurrent_calls cannot be counted';
  return { status: 503, reasons: [{ code: 'state.unavailable', peer: peer.id, detail }], headers: [{ name: 'Retry-After', value: '5' }] };
}
