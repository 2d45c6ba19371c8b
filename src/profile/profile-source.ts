/**
 * A profile's YAML text parsed once, with the means to point at any value in it:
 * every error the loader reports names a path ("peers[1].grants.modify") and the line
 * that path is written on.
 */
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { ProfileProblem } from './profile-error.ts';

/** Keys and list indexes from the document root to a value. */
export type ProfilePath = readonly (string | number)[];

export class ProfileSource {
  /** The document as plain data; undefined when the text is not valid YAML. */
  readonly data: unknown;
  /** YAML syntax errors; when there are any, `data` is undefined. */
  readonly syntaxProblems: readonly ProfileProblem[];
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(text: string) {
    this.#lines = new LineCounter();
    // prettyErrors off: the message stays one sentence, the line comes from the LineCounter.
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
    const first = this.#doc.errors[0];
    if (first !== undefined) {
      // Later syntax errors are mostly echoes of the first one; report only that.
      const { line, col } = this.#lines.linePos(first.pos[0]);
      this.syntaxProblems = [{ line, reason: `YAML syntax: ${sentence(first.message)} (column ${col})` }];
      this.data = undefined;
      return;
    }
    let data: unknown;
    try {
      data = this.#doc.toJS();
    } catch (error) {
      // toJS throws for alias abuse ("Excessive alias count") and unresolved aliases.
      const reason = error instanceof Error ? error.message : String(error);
      this.syntaxProblems = [{ line: 1, reason: `YAML: ${sentence(reason)}` }];
      this.data = undefined;
      return;
    }
    this.syntaxProblems = [];
    this.data = data;
  }

  /** The line the value at `path` starts on; when it is not written, the line of its nearest written ancestor. */
  lineOf(path: ProfilePath): number {
    for (let depth = path.length; depth > 0; depth -= 1) {
      const node: unknown = this.#doc.getIn(path.slice(0, depth), true);
      const offset = startOf(node);
      if (offset !== undefined) {
        return this.#lines.linePos(offset).line;
      }
    }
    const root = startOf(this.#doc.contents);
    return root === undefined ? 1 : this.#lines.linePos(root).line;
  }

  /** The line of `key` itself inside the mapping at `path` (for "unknown key" and "bad key" errors). */
  keyLineOf(path: ProfilePath, key: string): number {
    const map: unknown = path.length === 0 ? this.#doc.contents : this.#doc.getIn(path, true);
    if (isMap(map)) {
      for (const pair of map.items) {
        const written = isScalar(pair.key) ? pair.key.value : pair.key;
        if (String(written) === key) {
          const offset = startOf(pair.key);
          if (offset !== undefined) {
            return this.#lines.linePos(offset).line;
          }
        }
      }
    }
    return this.lineOf(path);
  }
}

/** `peers[1].grants.modify`, `consent.users["tel:+15550001111"]`; the root is "top level". */
export function pathText(path: ProfilePath): string {
  if (path.length === 0) {
    return 'top level';
  }
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
    } else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) {
      text += text === '' ? segment : `.${segment}`;
    } else {
      text += `[${JSON.stringify(segment)}]`;
    }
  }
  return text;
}

function startOf(node: unknown): number | undefined {
  if (typeof node === 'object' && node !== null && 'range' in node) {
    const range: unknown = node.range;
    if (Array.isArray(range) && typeof range[0] === 'number') {
      return range[0];
    }
  }
  return undefined;
}

/** yaml's messages start with a capital and may end with a colon; make them fit after "YAML syntax: ". */
function sentence(message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  const trimmed = firstLine.replace(/[:.]\s*$/, '');
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}
