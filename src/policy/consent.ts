import type { Profile } from '../profile/profile-types.ts';
import { normaliseIdentity } from '../sip/normalise-identity.ts';

/** Consent entries name the bootstrap DC of a peer as `<peer>:bootstrap`. */
export const BOOTSTRAP_CONSENT_APP = 'bootstrap';

/**
 * The served user's consent for one DC opened by `peerId`.
 *
 * A user's record decides for the entries it lists (an explicit deny beats an allow); a
 * peer-wide entry (`weather-as`) covers every app of that peer; anything the record does not
 * mention falls back to `consent.default`.
 */
export class ConsentBook {
  readonly #users = new Map<string, { allow: Set<string>; deny: Set<string> }>();
  readonly #defaultAllow: boolean;
  /** One decision asks about the same served users once per channel: their spelling is normalised once. */
  readonly #normalisedCache = new Map<string, string>();

  constructor(consent: Profile['consent']) {
    this.#defaultAllow = consent.default === 'allow';
    for (const [identity, record] of Object.entries(consent.users)) {
      this.#users.set(normaliseIdentity(identity), { allow: new Set(record.allow), deny: new Set(record.deny) });
    }
  }

  allows(user: string, peerId: string, appId: string | null): boolean {
    if (this.#users.size === 0) {
      return this.#defaultAllow;
    }
    const record = this.#users.get(this.#normalised(user));
    if (record === undefined) {
      return this.#defaultAllow;
    }
    const appEntry = `${peerId}:${appId ?? 'unknown'}`;
    if (record.deny.has(peerId) || record.deny.has(appEntry)) {
      return false;
    }
    if (record.allow.has(peerId) || record.allow.has(appEntry)) {
      return true;
    }
    return this.#defaultAllow;
  }

  #normalised(user: string): string {
    let normal = this.#normalisedCache.get(user);
    if (normal === undefined) {
      if (this.#normalisedCache.size >= 4096) {
        this.#normalisedCache.clear();
      }
      normal = normaliseIdentity(user);
      this.#normalisedCache.set(user, normal);
    }
    return normal;
  }
}
