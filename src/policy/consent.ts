import type { ConsentRecord, Profile } from '../profile/profile-types.ts';
import { normaliseIdentity } from '../sip/normalise-identity.ts';

/** Consent entries name the bootstrap DC of a peer as `<peer>:bootstrap`. */
export const BOOTSTRAP_CONSENT_APP = 'bootstrap';

/** One user's record as the book looks it up: entries as written, in sets. */
export interface ConsentEntries {
  readonly allow: ReadonlySet<string>;
  readonly deny: ReadonlySet<string>;
  /** The applications the user subscribed to (`apps_only`), or null: no subscription list. */
  readonly appsOnly: ReadonlySet<string> | null;
}

/** A record's lookup sets. */
export function consentEntriesOf(record: ConsentRecord): ConsentEntries {
  return { allow: new Set(record.allow), deny: new Set(record.deny), appsOnly: record.appsOnly === undefined ? null : new Set(record.appsOnly) };
}

/**
 * Records made through the admin API (src/state/consent-store.ts keeps it current), keyed by
 * the normalised identity. Looked up synchronously on every decision: a record written there
 * is in force on the next request, and a profile reload does not touch it.
 */
export interface ConsentOverlay {
  readonly size: number;
  get(normalisedUser: string): ConsentEntries | undefined;
}

/**
 * The served user's consent for one DC opened by `peerId`.
 *
 * A user's record decides for the entries it lists (an explicit deny beats an allow); a
 * peer-wide entry (`weather-as`) covers every app of that peer; anything the record does not
 * mention falls back to `consent.default`. With `apps_only`, an application channel for an app
 * not in it is refused whatever else the record says (bootstrap channels aside). A record in the overlay (admin API) replaces the
 * profile's record for that user as a whole: what the user said last through the operator's
 * systems is what holds, and `consent.default` stays the profile's.
 */
export class ConsentBook {
  readonly #users = new Map<string, ConsentEntries>();
  readonly #overlay: ConsentOverlay | null;
  readonly #defaultAllow: boolean;
  /** One decision asks about the same served users once per channel: their spelling is normalised once. */
  readonly #normalisedCache = new Map<string, string>();

  constructor(consent: Profile['consent'], overlay: ConsentOverlay | null = null) {
    this.#defaultAllow = consent.default === 'allow';
    this.#overlay = overlay;
    for (const [identity, record] of Object.entries(consent.users)) {
      this.#users.set(normaliseIdentity(identity), consentEntriesOf(record));
    }
  }

  allows(user: string, peerId: string, appId: string | null): boolean {
    if (this.#users.size === 0 && (this.#overlay === null || this.#overlay.size === 0)) {
      return this.#defaultAllow;
    }
    const normal = this.#normalised(user);
    const record = this.#overlay?.get(normal) ?? this.#users.get(normal);
    if (record === undefined) {
      return this.#defaultAllow;
    }
    const appEntry = `${peerId}:${appId ?? 'unknown'}`;
    if (record.deny.has(peerId) || record.deny.has(appEntry)) {
      return false;
    }
    // TS 23.228 AC: only the applications the user subscribed to, whoever offers them.
    if (record.appsOnly !== null && appId !== BOOTSTRAP_CONSENT_APP && (appId === null || !record.appsOnly.has(appId))) {
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
