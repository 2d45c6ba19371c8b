import { createHmac } from 'node:crypto';
import { normaliseIdentity } from '../sip/normalise-identity.ts';

/** Reserved by RFC 6761: a pseudonym can never route anywhere by accident. */
export const PSEUDONYM_DOMAIN = 'pseudonym.invalid';
export const ANONYMOUS_URI = 'sip:anonymous@anonymous.invalid';

/**
 * Stable per-peer pseudonyms: HMAC-SHA256(key, peer id, identity).
 *
 * The same user looks the same to one peer across calls, different to two peers, and the
 * pseudonym cannot be turned back into the identity without the operator's key.
 */
export class Pseudonymizer {
  readonly #key: Buffer;
  /**
   * Tokens made, by peer id and identity: every message of a call names the same users again
   * (several HMACs a message). Bounded like the header memo (src/text/parse-memo.ts): a full cache
   * starts again empty, so a peer sending a new identity every time costs only the HMAC it cost.
   */
  readonly #made = new Map<string, string>();

  constructor(key: Buffer) {
    if (key.length < 16) {
      throw new Error('pseudonym key must be at least 16 bytes');
    }
    this.#key = key;
  }

  /** The pseudonymous user part, e.g. `dcg-3xk2...`: 120 bits, base32 so it is a valid SIP user. */
  token(identity: string, peerId: string): string {
    if (identity.length > MAX_CACHED_IDENTITY) {
      return this.#make(identity, peerId);
    }
    // Peer ids hold no NUL (the audit scope starts with one): no two (peer, identity) pairs share a key.
    const key = `${peerId}\0${identity}`;
    let token = this.#made.get(key);
    if (token === undefined) {
      token = this.#make(identity, peerId);
      if (this.#made.size >= MAX_CACHED_TOKENS) {
        this.#made.clear();
      }
      this.#made.set(key, token);
    }
    return token;
  }

  #make(identity: string, peerId: string): string {
    const mac = createHmac('sha256', this.#key).update(peerId).update('\0').update(normaliseIdentity(identity)).digest();
    return `dcg-${base32(mac.subarray(0, 15))}`;
  }

  uri(identity: string, peerId: string): string {
    return `sip:${this.token(identity, peerId)}@${PSEUDONYM_DOMAIN}`;
  }
}

const MAX_CACHED_TOKENS = 4096;
const MAX_CACHED_IDENTITY = 1024;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += ALPHABET[(value << (5 - bits)) & 31];
  }
  return out;
}
