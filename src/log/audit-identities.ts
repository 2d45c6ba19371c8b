import type { ControllerOutcome } from '../call/controller-outcome.ts';
import { Pseudonymizer } from '../privacy/pseudonymizer.ts';
import type { Profile } from '../profile/profile-types.ts';
import { nameAddrUri } from '../sip/name-addr.ts';
import { getHeader, getHeaderValues } from '../sip/sip-headers.ts';
import type { SipMessage } from '../sip/sip-message.ts';

/** The parties of the call a decision is about, as the audit line shows them. */
export interface AuditUsers {
  readonly caller: string | null;
  readonly callee: string | null;
}

/**
 * Peer ids match `^[A-Za-z0-9._-]+$` (the profile schema), so no peer's pseudonyms can equal
 * the audit trail's: a log line cannot be joined with what an AS was shown.
 */
const AUDIT_SCOPE = '\u0000audit';

/**
 * How served users appear in audit lines (`audit.identities`): pseudonym (default) is a keyed
 * hash under the operator's pseudonym key, so the same user reads the same in every instance's
 * log and across restarts; without that key it is a key made at start (stable in this process
 * only, said once at start). clear shows the identities themselves.
 */
export class AuditIdentities {
  readonly #clear: boolean;
  readonly #pseudonyms: Pseudonymizer;
  readonly #trusted: ReadonlySet<string>;

  /** `key`: the operator's pseudonym key, or one the process made at start when there is none. */
  constructor(profile: Profile, key: Buffer) {
    this.#clear = profile.audit.identities === 'clear';
    this.#pseudonyms = new Pseudonymizer(key);
    this.#trusted = new Set(profile.peers.filter((p) => p.trusted).map((p) => p.id));
  }

  /**
   * Caller (asserted identity first) and callee of the message on the call's trusted side: the
   * inbound one when a trusted peer sent it, else what the guard forwards toward a trusted peer
   * (identities it restored), else the inbound one as the peer wrote it.
   */
  usersOf(inbound: SipMessage, sender: string, outcome: ControllerOutcome): AuditUsers {
    let message = inbound;
    if (!this.#trusted.has(sender) && outcome.kind === 'forward' && outcome.to.peerId !== null && this.#trusted.has(outcome.to.peerId)) {
      message = outcome.message;
    }
    const caller = nameAddrUri(getHeaderValues(message, 'P-Asserted-Identity')[0]) ?? nameAddrUri(getHeader(message, 'From'));
    return { caller: this.#shown(caller), callee: this.#shown(nameAddrUri(getHeader(message, 'To'))) };
  }

  #shown(uri: string | null): string | null {
    if (uri === null || this.#clear) {
      return uri;
    }
    return `u-${this.#pseudonyms.token(uri, AUDIT_SCOPE).slice(4)}`;
  }
}
