/**
 * Field-level reading of one SDP line's text, shared by the document reader, the channel
 * reader, the DC rewriter and the session-privacy rewriter. One definition of "white space" and
 * "digit" for all of them, because the guard must split a line into the same fields whether it is
 * deciding about it or rewriting it: a second, slightly different splitter would let a peer write
 * a line the policy reads one way and the rewrite edits another.
 *
 * Linear scans with indexOf/charCodeAt: no regular expressions, so no backtracking on hostile input.
 */

/** `a=<name>:...` or `a=<name>` → lower-case name, trimmed. */
export function attributeName(text: string): string {
  return nameAt(text, 2);
}

/** Lower-cased, trimmed text from `from` up to the first `:` (or the end). */
export function nameAt(text: string, from: number): string {
  const colon = text.indexOf(':', from);
  return (colon < 0 ? text.slice(from) : text.slice(from, colon)).trim().toLowerCase();
}

/** Whitespace-separated tokens of `text` from offset `from`. */
export function splitTokens(text: string, from: number): string[] {
  const tokens: string[] = [];
  for (let end = from, start = tokenStart(text, end); start < text.length; start = tokenStart(text, end)) {
    end = tokenEnd(text, start);
    tokens.push(text.slice(start, end));
  }
  return tokens;
}

/** `text` with its whitespace-separated token number `index` (counted from offset `from`) replaced, or null when there is no such token. */
export function replaceToken(text: string, from: number, index: number, replacement: string): string | null {
  let count = 0;
  for (let end = from, start = tokenStart(text, end); start < text.length; start = tokenStart(text, end), count += 1) {
    end = tokenEnd(text, start);
    if (count === index) {
      return text.slice(0, start) + replacement + text.slice(end);
    }
  }
  return null;
}

/** Where the next token starts at or after `p` (the length of `text` when there is none): the one scan both readers share. */
function tokenStart(text: string, p: number): number {
  while (p < text.length && isSpace(text.charCodeAt(p))) {
    p += 1;
  }
  return p;
}

function tokenEnd(text: string, p: number): number {
  while (p < text.length && !isSpace(text.charCodeAt(p))) {
    p += 1;
  }
  return p;
}

export function parseDigits(text: string): number | null {
  if (text.length === 0 || text.length > 15) {
    return null;
  }
  for (let i = 0; i < text.length; i += 1) {
    if (!isDigit(text.charCodeAt(i))) {
      return null;
    }
  }
  return Number(text);
}

export function isDecimal(text: string): boolean {
  if (text.length === 0) {
    return false;
  }
  for (let i = 0; i < text.length; i += 1) {
    if (!isDigit(text.charCodeAt(i))) {
      return false;
    }
  }
  return true;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12;
}
