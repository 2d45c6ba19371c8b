import { consentEntriesOf, type ConsentEntries, type ConsentOverlay } from '../policy/consent.ts';
import type { ConsentRecord } from '../profile/profile-types.ts';

/**
 * Consent records made through the admin API, keyed by the normalised identity
 * (src/sip/normalise-identity.ts). `overlay` is what the verdict engine reads on every
 * decision, synchronously: a store keeps it current in memory (the Redis store from its hash
 * and pub/sub channel), so a record written is in force on the next request. Profile reloads
 * never touch it.
 */
export interface ConsentStore {
  readonly overlay: ConsentOverlay;
  /** The API record of `user` (normalised) in force on this instance, or undefined. */
  get(user: string): ConsentRecord | undefined;
  /** Writes (replaces) the API record of `user`; in force on this instance when it settles. */
  put(user: string, record: ConsentRecord): Promise<void>;
  /** Removes the API record of `user`; false when there was none. The profile's record applies again. */
  delete(user: string): Promise<boolean>;
  close(): Promise<void>;
}

interface Held {
  readonly record: ConsentRecord;
  readonly entries: ConsentEntries;
}

/** The in-memory copy both stores keep: records and their lookup sets, built once per write. */
export class ConsentRecords implements ConsentOverlay {
  readonly #held = new Map<string, Held>();

  get size(): number {
    return this.#held.size;
  }

  get(user: string): ConsentEntries | undefined {
    return this.#held.get(user)?.entries;
  }

  record(user: string): ConsentRecord | undefined {
    return this.#held.get(user)?.record;
  }

  set(user: string, record: ConsentRecord): void {
    const copy: ConsentRecord = Object.freeze({
      allow: Object.freeze([...record.allow]),
      deny: Object.freeze([...record.deny]),
      ...(record.appsOnly === undefined ? {} : { appsOnly: Object.freeze([...record.appsOnly]) }),
    });
    this.#held.set(user, { record: copy, entries: consentEntriesOf(copy) });
  }

  remove(user: string): boolean {
    return this.#held.delete(user);
  }

  users(): IterableIterator<string> {
    return this.#held.keys();
  }
}
