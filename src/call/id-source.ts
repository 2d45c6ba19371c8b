import { randomBytes } from 'node:crypto';

/** Where the guard's Call-IDs, tags, branches and route tokens come from. */
export interface IdSource {
  callId(): string;
  tag(): string;
  /** RFC 3261 8.1.1.7: begins with the magic cookie. */
  branch(): string;
  /** Opaque route token: must be unguessable, it is all that ties an AS's request to a call. */
  token(): string;
}

/** Production ids from a CSPRNG. */
export class RandomIdSource implements IdSource {
  callId(): string {
    return randomBytes(12).toString('base64url');
  }
  tag(): string {
    return randomBytes(6).toString('hex');
  }
  branch(): string {
    return `z9hG4bK${randomBytes(9).toString('base64url')}`;
  }
  token(): string {
    return randomBytes(12).toString('base64url');
  }
}

/**
 * Predictable ids for `dc-guard check`: an operator writes the responses and onward requests
 * of a scenario before running it, so the values the guard will use must be knowable.
 */
export class SequentialIdSource implements IdSource {
  readonly #counts = { call: 0, tag: 0, branch: 0, token: 0 };
  #n(kind: 'call' | 'tag' | 'branch' | 'token'): number {
    this.#counts[kind] += 1;
    return this.#counts[kind];
  }
  callId(): string {
    return `dcg-call-${this.#n('call')}`;
  }
  tag(): string {
    return `dcg-tag-${this.#n('tag')}`;
  }
  branch(): string {
    return `z9hG4bK-dcg-${this.#n('branch')}`;
  }
  token(): string {
    return `tok${this.#n('token')}`;
  }
}
