/**
 * Shrinks a parser-level finding to a small input that still shows it (delta debugging: drop
 * lines, then ever smaller byte runs, keep any cut after which the verdict is the same). What
 * a report quotes is then the few bytes that matter, not a 1 KB mutated INVITE.
 */
import { parseOnce, type ParserVerdict } from './parser-level.ts';

const MAX_TRIES = 20_000;

export function minimizeParserInput(bytes: string, kind: ParserVerdict['kind']): string {
  let best = bytes;
  let tries = 0;
  const stillFails = (candidate: string): boolean => {
    tries += 1;
    return parseOnce(candidate).kind === kind;
  };
  // Whole lines first (CRLF kept with the line before it), then byte runs halving down to one.
  let cut = true;
  while (cut && tries < MAX_TRIES) {
    cut = false;
    const lines = best.split(/(?<=\n)/);
    for (let i = lines.length - 1; i >= 0 && tries < MAX_TRIES; i -= 1) {
      const candidate = [...lines.slice(0, i), ...lines.slice(i + 1)].join('');
      if (stillFails(candidate)) {
        best = candidate;
        lines.splice(i, 1);
        cut = true;
      }
    }
  }
  for (let size = Math.max(1, best.length >> 1); size >= 1 && tries < MAX_TRIES; size >>= 1) {
    for (let at = best.length - size; at >= 0 && tries < MAX_TRIES; at -= size) {
      const candidate = best.slice(0, at) + best.slice(at + size);
      if (stillFails(candidate)) {
        best = candidate;
      }
    }
  }
  return best;
}
