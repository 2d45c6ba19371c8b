/**
 * Scans over the raw text's line endings, split exactly as sdp-transform splits them (CRLF, LF,
 * lone CR), so the guard's line numbers and a peer's agree. splitLines feeds the document
 * reader; findOriginLine serves the `o=` rewrites of dc-rewrite.ts, which work on a raw string
 * and need only the origin line, not a full (strict, and throwing) reading of the document.
 */

/** Splits like sdp-transform (`\r\n`, `\r`, `\n`), keeping each line's ending. */
export function splitLines(raw: string, texts: string[], eols: string[]): void {
  const n = raw.length;
  let start = 0;
  for (let i = 0; i < n; i += 1) {
    const c = raw.charCodeAt(i);
    if (c === 10) {
      texts.push(raw.slice(start, i));
      eols.push('\n');
      start = i + 1;
    } else if (c === 13) {
      texts.push(raw.slice(start, i));
      if (raw.charCodeAt(i + 1) === 10) {
        eols.push('\r\n');
        i += 1;
      } else {
        eols.push('\r');
      }
      start = i + 1;
    }
  }
  if (start < n) {
    texts.push(raw.slice(start));
    eols.push('');
  }
}

/** Where the session-level `o=` line is: [start, end of its text, end of its line ending], or null. */
export function findOriginLine(raw: string): { start: number; textEnd: number; lineEnd: number } | null {
  const n = raw.length;
  let start = 0;
  while (start < n) {
    let p = start;
    while (p < n) {
      const c = raw.charCodeAt(p);
      if (c === 10 || c === 13) {
        break;
      }
      p += 1;
    }
    const textEnd = p;
    if (p < n) {
      p += raw.charCodeAt(p) === 13 && raw.charCodeAt(p + 1) === 10 ? 2 : 1;
    }
    if (raw.startsWith('o=', start)) {
      return { start, textEnd, lineEnd: p };
    }
    if (raw.startsWith('m=', start)) {
      return null;
    }
    start = p;
  }
  return null;
}

/**
 * True when the SDP has m-lines and every one of them has port 0 (RFC 3264 6: all refused), on
 * the raw text: for an offer the guard itself just rewrote, so its m-lines are well formed.
 */
export function everyMediaRefused(raw: string): boolean {
  const texts: string[] = [];
  splitLines(raw, texts, []);
  let media = 0;
  for (const text of texts) {
    if (text.startsWith('m=')) {
      media += 1;
      if (!/^m=\S+ 0(\/\d+)? /.test(text)) {
        return false;
      }
    }
  }
  return media > 0;
}
