/**
 * Parse each text once. The controller, the privacy layer and the transaction layer each read
 * From, To, Via, CSeq and the URIs of a message, several times on its way through the guard and
 * again in the copies it builds; an answer is checked against the offer the guard forwarded,
 * whose text is read again for each answer. The parsers are pure, so they remember what they
 * read. Results are shared, which is why the parsed types are readonly.
 *
 * Bounded: only texts up to `maxKey` characters are remembered, and a full memo starts again
 * empty, so a peer that sends a new text every time costs what it cost without the memo.
 */
import { ownString } from './own-string.ts';

export interface MemoOptions {
  /** The parse error a text always gets (it is remembered and thrown again); any other error is thrown and not remembered. Absent: no error is remembered. */
  readonly remembers?: abstract new (...args: never[]) => Error;
  /** Longest text remembered (default 1,024 characters). */
  readonly maxKey?: number;
  /** Entries before the memo starts again empty (default 4,096). */
  readonly maxEntries?: number;
}

/** No error is of this class: with it, errors are thrown and never remembered. */
class NeverThrown extends Error {}

/** `parse` remembered per input text; the error class `remembers` names is remembered and thrown again. */
export function memoized<T>(parse: (text: string) => T, options: MemoOptions = {}): (text: string) => T {
  const { remembers = NeverThrown, maxKey = 1024, maxEntries = 4096 } = options;
  const kept = new Map<string, T | Error>();
  return (text) => {
    if (typeof text !== 'string' || text.length > maxKey) {
      return parse(text);
    }
    const hit = kept.get(text);
    if (hit !== undefined) {
      if (hit instanceof remembers) {
        throw hit;
      }
      return hit;
    }
    // The memo outlives the message: it keeps a copy, never a slice of the message's text, and
    // parses the copy so that what it returns points into the copy too.
    const key = ownString(text);
    let result: T | Error;
    try {
      result = parse(key);
    } catch (error) {
      if (!(error instanceof remembers)) {
        throw error;
      }
      result = error;
    }
    if (kept.size >= maxEntries) {
      kept.clear();
    }
    kept.set(key, result);
    if (result instanceof remembers) {
      throw result;
    }
    return result;
  };
}
