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

/**
 * Production ids from a CSPRNG. Entropy is drawn 4 KiB at a time: one getrandom() call per id
 * cost a fifth of the CPU of an INVITE under load.
 */
export class RandomIdSource implements IdSource {
  #pool = randomBytes(POOL_BYTES);
  #offset = 0;

  #bytes(n: number): Buffer {
    if (this.#offset + n > this.#pool.length) {
      this.#pool = randomBytes(POOL_BYTES);
      this.#offset = 0;
    }
    const out = this.#pool.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  callId(): string {
    return this.#bytes(12).toString('base64url');
  }
  tag(): string {
    return this.#bytes(6).toString('hex');
  }
  branch(): string {
    return `z9hG4bK${this.#bytes(9).toString('base64url')}`;
  }
  token(): string {
    return this.#bytes(12).toString('base64url');
  }
}

const POOL_BYTES = 4096;

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
