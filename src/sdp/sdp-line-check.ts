/**
 * The strict-line rule of the SDP reader (see sdp-doc.ts, point 3): which lines are not SDP
 * lines, and how a refusal names a line. Kept apart from the document walk because it is the
 * guard's whole answer to "could a lenient peer read a line the guard skips": every test that
 * refuses a line for its characters is in this one place, and every SdpParseError about a line
 * is built by lineError so none of them ever quotes the line's text (SDP carries identities).
 */
import { isSpace } from './sdp-fields.ts';
import { SdpParseError } from './sdp-parse-error.ts';

/** The SdpParseError for doc line `index`: 1-based line number and reason, never the text (it may carry identities). */
export function lineError(index: number, reason: string): SdpParseError {
  return new SdpParseError(`SDP line ${index + 1}: ${reason}`);
}

/** Line types whose value is free text (RFC 8866 5.3-5.6): non-ASCII white space may be part of a name. */
const TEXT_TYPES = new Set(['s', 'i', 'u', 'e', 'p']);

/**
 * Why `text` is not an SDP line (RFC 4566 section 5: `<type>=<value>`, type one lower-case
 * letter, no white space before `=`), or null when it is one. A blank right after `=` is
 * tolerated: RFC 8866 section 5 lets a value start with white space (`s= `), and every reader
 * here skips it, so the guard sees what a lenient peer sees.
 */
export function lineProblem(text: string): string | null {
  if (text.length === 0) {
    return 'empty line inside the SDP (RFC 4566 section 5: every line is <type>=<value>)';
  }
  const type = text.charCodeAt(0);
  if (type < 0x61 || type > 0x7a) {
    if (isSpace(type) || isExoticSpace(type)) {
      return 'white space before the type letter (RFC 4566 section 5)';
    }
    if (type >= 0x41 && type <= 0x5a) {
      return 'upper-case type letter (RFC 4566 section 5: the type is one lower-case letter)';
    }
    return `line does not start with a lower-case type letter (found ${codePoint(type)})`;
  }
  const eq = text.charCodeAt(1);
  if (eq !== 0x3d) {
    if (isSpace(eq) || isExoticSpace(eq)) {
      return 'white space between the type letter and "=" (RFC 4566 section 5)';
    }
    return text.indexOf('=') < 0 ? 'no "=": not a <type>=<value> line (RFC 4566 section 5)' : 'the type is more than one letter (RFC 4566 section 5)';
  }
  const freeText = TEXT_TYPES.has(text.charAt(0));
  for (let i = 2; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f)) {
      return `control character ${codePoint(c)} at column ${i + 1} (only tab is allowed inside a value)`;
    }
    if (c === 0x2028 || c === 0x2029 || c === 0xfeff) {
      return `${codePoint(c)} at column ${i + 1} (a line break or invisible character to some readers)`;
    }
    if (!freeText && isExoticSpace(c)) {
      return `non-ASCII white space ${codePoint(c)} at column ${i + 1} (fields are separated by space or tab only)`;
    }
  }
  return null;
}

function codePoint(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** White space other than space/tab that JavaScript's `\s` (and many splitters) treat as a field separator. */
function isExoticSpace(c: number): boolean {
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000;
}
