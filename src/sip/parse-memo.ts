/**
 * Parse each header value once. The controller, the privacy layer and the transaction layer
 * each read From, To, Via, CSeq and the URIs of a message, several times on its way through the
 * guard and again in the copies it builds; the value parsers are pure, so they remember what
 * they read. Results are shared, which is why the parsed types are readonly.
 *
 * Bounded: only values up to MAX_KEY characters are remembered, and a full memo starts again
 * empty, so a peer that sends a new value every time costs what it cost without the memo.
 */
import { ownString } from './own-string.ts';
import { SipParseError } from './sip-parse-error.ts';

const MAX_KEY = 1024;
const MAX_ENTRIES = 4096;

/** `parse` remembered per input; a SipParseError it throws is remembered and thrown again. */
export function memoized<T>(parse: (text: string) => T): (text: string) => T {
  const kept = new Map<string, T | SipParseError>();
  return (text) => {
    if (typeof text !== 'string' || text.length > MAX_KEY) {
      return parse(text);
    }
    const hit = kept.get(text);
    if (hit !== undefined) {
      if (hit instanceof SipParseError) {
        throw hit;
      }
      return hit;
    }
    // The memo outlives the message: it keeps a copy, never a slice of the message's text, and
    // parses the copy so that what it returns points into the copy too.
    const key = ownString(text);
    let result: T | SipParseError;
    try {
      result = parse(key);
    } catch (error) {
      if (!(error instanceof SipParseError)) {
        throw error;
      }
      result = error;
    }
    if (kept.size >= MAX_ENTRIES) {
      kept.clear();
    }
    kept.set(key, result);
    if (result instanceof SipParseError) {
      throw result;
    }
    return result;
  };
}
