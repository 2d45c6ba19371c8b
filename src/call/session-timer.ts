/**
 * RFC 4028 session timers as the guard applies them, pure functions over messages. The guard
 * relays Session-Expires and Min-SE end to end (the two ends run the refreshes) and holds its
 * own floor (`sip.min_se`): without it a peer could ask for a 1 s session, and the guard would
 * tear the call down (or the far end flood refreshes) at once. It also tracks, per hop, the
 * interval the last 2xx of an INVITE or UPDATE settled on, so a call whose refresh never comes
 * ends (step-session-expiry.ts) instead of living on until the idle sweep.
 */
import type { PolicyRefusal } from '../policy/policy-refusal.ts';
import { parseParams } from '../sip/header-values.ts';
import { getHeader, removeHeader, setHeader } from '../sip/sip-headers.ts';
import type { SipMessage } from '../sip/sip-message.ts';
import type { LegSide, SessionTimer } from '../state/call-state.ts';

/** The methods whose Session-Expires sets or refreshes a session (RFC 4028 7, 9). */
const SESSION_METHODS = new Set(['INVITE', 'UPDATE']);

export interface SessionExpires {
  readonly delta: number;
  readonly refresher: 'uac' | 'uas' | null;
}

const DELTA = /^\s*(\d{1,10})\s*(;.*)?$/s;

/** Session-Expires of a message: absent (null), unreadable ('bad'), or its interval and refresher. */
export function sessionExpiresOf(msg: SipMessage): SessionExpires | null | 'bad' {
  const value = getHeader(msg, 'Session-Expires');
  if (value === undefined) {
    return null;
  }
  const m = DELTA.exec(value);
  if (m === null) {
    return 'bad';
  }
  let refresher: SessionExpires['refresher'] = null;
  for (const [name, param] of parseParams(m[2] ?? '')) {
    if (name.toLowerCase() === 'refresher') {
      const who = param?.toLowerCase();
      if (who !== 'uac' && who !== 'uas') {
        return 'bad';
      }
      refresher = who;
    }
  }
  return { delta: Number(m[1]), refresher };
}

/** Min-SE of a message in seconds, or null when absent or unreadable. */
function minSeOf(msg: SipMessage): number | null {
  const m = DELTA.exec(getHeader(msg, 'Min-SE') ?? '');
  return m === null ? null : Number(m[1]);
}

/**
 * RFC 4028 8.1 / 6: an INVITE or UPDATE asking for a session shorter than the guard's floor
 * (or whose Session-Expires cannot be read) is answered 422 with the floor as Min-SE; null
 * when it may go on.
 */
export function sessionIntervalRefusal(method: string, msg: SipMessage, floor: number): PolicyRefusal | null {
  if (!SESSION_METHODS.has(method)) {
    return null;
  }
  const se = sessionExpiresOf(msg);
  if (se === null || (se !== 'bad' && se.delta >= floor)) {
    return null;
  }
  const minSe = Math.max(floor, minSeOf(msg) ?? 0);
  return {
    status: 422,
    reasons: [{ code: 'session.interval-too-small', detail: se === 'bad' ? 'unreadable Session-Expires' : `Session-Expires ${se.delta} s under the guard's Min-SE ${floor} s` }],
    headers: [{ name: 'Min-SE', value: String(minSe) }],
  };
}

/**
 * The request as it goes on: with a Session-Expires, its Min-SE is at least the guard's floor
 * (RFC 4028 8.1: a proxy raises a lower Min-SE, or adds one), so the far end answers no smaller.
 * Changes `msg`, a message the step built.
 */
export function raiseMinSe(method: string, msg: SipMessage, floor: number): void {
  if (!SESSION_METHODS.has(method) || sessionExpiresOf(msg) === null) {
    return;
  }
  const minSe = minSeOf(msg);
  if (minSe === null || minSe < floor) {
    setHeader(msg, 'Min-SE', String(floor));
  }
}

/**
 * What a 2xx to an INVITE or UPDATE makes of the hop's session timer (RFC 4028 9): with a
 * Session-Expires, a timer from now for that interval, never under the guard's floor (a
 * smaller value in `out`, the response as relayed, is raised to it); without one, none. Also
 * for a 2xx whose Session-Expires cannot be read: no timer, and the header does not go on.
 */
export function negotiatedSession(method: string, out: SipMessage, floor: number, now: number, sides: { readonly uac: LegSide; readonly uas: LegSide }): SessionTimer | undefined {
  if (!SESSION_METHODS.has(method)) {
    return undefined;
  }
  const se = sessionExpiresOf(out);
  if (se === null) {
    return undefined;
  }
  if (se === 'bad') {
    removeHeader(out, 'Session-Expires');
    return undefined;
  }
  const interval = Math.max(se.delta, floor);
  // RFC 4028 7.2: a UAS that answers with a timer names the refresher; absent, the UAS's.
  const refresher = se.refresher ?? 'uas';
  if (interval !== se.delta) {
    setHeader(out, 'Session-Expires', `${interval};refresher=${refresher}`);
  }
  return { intervalSec: interval, refresher: sides[refresher], expiresAt: now + interval * 1000 };
}
