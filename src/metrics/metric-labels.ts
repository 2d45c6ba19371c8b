/**
 * Label values the metrics may carry, bounded: peer ids of the profile in force, the guard's
 * own reason codes and SIP method names. Anything else (an unknown sender's address, a method
 * an attacker made up) becomes one fixed value, so no identity and no unbounded series reach
 * Prometheus.
 */
import type { ReasonCode } from '../policy/reason.ts';

export const UNKNOWN = 'unknown';
export const OTHER = 'other';

const METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'PUBLISH']);

const REASON_CODES: ReadonlySet<string> = new Set<ReasonCode>([
  'peer.unknown',
  'peer.rate-limited',
  'peer.concurrent-calls',
  'initiator.ignored',
  'initiator.unknown',
  'dc.app-not-granted',
  'dc.bootstrap-not-granted',
  'dc.consent-denied',
  'dc.cap-channels',
  'dc.cap-bandwidth',
  'dc.answer-not-offered',
  'dc.answer-port-refused',
  'dc.answer-app-changed',
  'dialog.modify-not-granted',
  'dialog.terminate-not-granted',
  'dialog.unknown',
  'dialog.wrong-peer',
  'route.not-allowed',
  'body.unsupported-type',
  'sip.extension-unsupported',
  'sdp.unparseable',
  'sdp.mline-count',
  'sdp.answer-unverifiable',
  'privacy.critical-unsupported',
  'state.unavailable',
]);

export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : OTHER;
}

/** A decision report's `message`: a method, or `<status> <method>` for a response (as `2xx INVITE`). */
export function messageLabel(message: string): string {
  const response = /^([1-6])\d\d (\S+)$/.exec(message);
  if (response !== null) {
    return `${response[1]}xx ${methodLabel(response[2] ?? '')}`;
  }
  return methodLabel(message);
}

export function reasonLabel(code: string): string {
  return REASON_CODES.has(code) ? code : OTHER;
}

/** Names a store reports its operations by: short lower-case words, at most `max` distinct ones. */
export class BoundedNames {
  readonly #seen = new Set<string>();
  constructor(readonly max: number) {}

  label(name: string): string {
    if (this.#seen.has(name)) {
      return name;
    }
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name) || this.#seen.size >= this.max) {
      return OTHER;
    }
    this.#seen.add(name);
    return name;
  }
}
