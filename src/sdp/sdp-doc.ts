/**
 * The line-level SDP document behind readSdp, applyDcEdits and alignAnswer. Hand-written on
 * purpose, rather than built on sdp-transform's parse/write:
 *
 * 1. Byte-exact output. sdp-transform re-orders attributes and normalises spacing when it
 *    writes, but an SDP the guard does not change must leave byte for byte as it came, and one
 *    it does change must differ only in the lines the guard touched. So the original text is
 *    kept as a list of lines, each with its own line ending (CRLF, LF or a lone CR, mixed if the
 *    input mixed them), split into the session section and one section per m-line, and a
 *    rewrite only drops or replaces whole lines of it.
 * 2. One reading for reading and rewriting. The DC model readSdp reports (which dcmap, dcsa and
 *    3gpp-req-app lines belong to which channel) is the very one the rewriter deletes lines by,
 *    so the two can never disagree about an association. The view returned by readSdp is tied
 *    to its document (WeakMap, sdp-doc-view.ts), so a verdict reads the text once: no
 *    sdp-transform parse on top (which alone costs several times this whole scan).
 * 3. Strict lines, so nothing hides from the guard. Lines are split exactly as sdp-transform
 *    splits them (CRLF, LF, lone CR), and every line must be an SDP line (RFC 4566 section 5,
 *    RFC 8866 section 5: `<type>=<value>`, type exactly one lower-case letter, directly followed
 *    by `=`). sdp-transform silently drops any other line, but a lenient peer may trim, lower-case
 *    or otherwise read it: ` m=application ...`, `M=application ...`, `a =dcmap:...` would be a DC
 *    m-line or channel the guard never saw. So such a line makes the whole body an SdpParseError
 *    (the caller decides: the verdict engine fails closed for untrusted peers). Likewise refused:
 *    an empty line anywhere but at the very end, text before `v=` other than empty lines, C0/C1
 *    control characters other than tab (NUL, VT, FF, NEL...), U+2028/U+2029 (line breaks to some
 *    splitters), U+FEFF, and outside the free-text lines (s=, i=, u=, e=, p=) any non-ASCII
 *    white space (NBSP and the like, which `\s`-splitting peers read as field separators where
 *    this reader would not). Tolerated because the guard reads them as a lenient peer would:
 *    empty lines before `v=` and at the very end (a final CRLF CRLF), blanks after `=` and at
 *    the end of a line, runs of spaces/tabs between fields, a port count (`5000/2`).
 *    Inside a DC m-line, a dcmap or dcsa line whose stream id cannot be read, a dcmap line whose
 *    label/subprotocol is ambiguous, is refused too: skipping it would hide a channel.
 *    m-line indexes agree with sdp-transform on well-formed SDP (m-line fields are split on any
 *    run of spaces/tabs, where sdp-transform's single-space grammar would drop the fields and a
 *    DC m-line would go unseen; sdp-transform also turns the `o=` version into a lossy number).
 *    The property tests check that both read the same structure from well-formed SDP.
 *    Error messages name the 1-based line number and the reason, never the line's text: an SDP
 *    carries identities (o= username, e=, p=) and the message goes to the decision log.
 *
 * Everything is linear scanning with indexOf/charCodeAt: no regular expressions, so no
 * backtracking on hostile input.
 *
 * One module per job of the reading: sdp-raw-lines.ts splits the text into lines,
 * sdp-line-check.ts refuses any line that is not an SDP line (point 3), sdp-media-section.ts
 * reads each m-line section and dc-channels.ts the channels of a DC m-line (point 2), and
 * sdp-fields.ts splits a line into fields for all of them and for the rewriters. This module
 * holds the document itself: reading it in order and rendering it back (point 1).
 * sdp-doc-view.ts ties the view readSdp returns to its document.
 */
import { splitTokens } from './sdp-fields.ts';
import { lineError, lineProblem } from './sdp-line-check.ts';
import { readMedia, type DocMedia } from './sdp-media-section.ts';
import { SdpParseError } from './sdp-parse-error.ts';
import { splitLines } from './sdp-raw-lines.ts';
import type { SdpOrigin } from './sdp-types.ts';

export interface SdpDoc {
  readonly raw: string;
  /** Line texts without line endings; joined with `eols` they give `raw` back exactly. */
  readonly texts: readonly string[];
  readonly eols: readonly string[];
  /** Doc line index of the session-level `o=` line, or -1. */
  readonly originLine: number;
  readonly origin: SdpOrigin | null;
  readonly media: readonly DocMedia[];
}

/**
 * Reads `raw` into lines. Throws SdpParseError unless every line is an SDP line (see the
 * header, point 3): `v=` first (after empty lines only), no empty line but at the very end.
 */
export function parseDoc(raw: string): SdpDoc {
  if (typeof raw !== 'string') {
    throw new SdpParseError('SDP body is not a string');
  }
  const texts: string[] = [];
  const eols: string[] = [];
  splitLines(raw, texts, eols);

  // Empty lines (CR/LF only) are tolerated before v= and after the last line: they carry
  // nothing a peer could read. Anything else before v= (blanks, a BOM) is not an SDP line.
  let first = 0;
  while (first < texts.length && texts[first] === '') {
    first += 1;
  }
  let last = texts.length - 1;
  while (last >= first && texts[last] === '') {
    last -= 1;
  }
  if (first > last) {
    throw new SdpParseError('empty SDP body');
  }
  if (!(texts[first] ?? '').startsWith('v=')) {
    throw new SdpParseError(`SDP line ${first + 1}: SDP body does not start with a v= line (RFC 4566 section 5)`);
  }

  const mLines: number[] = [];
  let originLine = -1;
  for (let i = first; i <= last; i += 1) {
    const text = texts[i] ?? '';
    const problem = lineProblem(text);
    if (problem !== null) {
      throw lineError(i, problem);
    }
    if (text.startsWith('m=')) {
      mLines.push(i);
    } else if (originLine < 0 && mLines.length === 0 && text.startsWith('o=')) {
      originLine = i;
    }
  }

  let origin: SdpOrigin | null = null;
  if (originLine >= 0) {
    const tokens = splitTokens(texts[originLine] ?? '', 2);
    const [username, sessionId, sessionVersion] = tokens;
    if (username !== undefined && sessionId !== undefined && sessionVersion !== undefined) {
      origin = { username, sessionId, sessionVersion };
    }
  }

  const media: DocMedia[] = [];
  for (let k = 0; k < mLines.length; k += 1) {
    const line = mLines[k] ?? 0;
    const end = mLines[k + 1] ?? texts.length;
    media.push(readMedia(texts, k, line, end));
  }
  return { raw, texts, eols, originLine, origin, media };
}

/**
 * The document's text with some lines replaced (a string, without line ending) or dropped
 * (null). Every other line comes out byte for byte, and every kept line with its own line
 * ending, so a rewrite differs from the original only in the lines it names.
 */
export function renderDoc(doc: SdpDoc, edits: ReadonlyMap<number, string | null>): string {
  let out = '';
  for (let line = 0; line < doc.texts.length; line += 1) {
    const edit = edits.get(line);
    if (edit === null) {
      continue;
    }
    out += (edit ?? doc.texts[line] ?? '') + (doc.eols[line] ?? '');
  }
  return out;
}
