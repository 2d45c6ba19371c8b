/**
 * Byte-exact rewriting of a SIP body, single or multipart (RFC 5621): the content of SDP parts is
 * replaced or parts are removed, and every other byte of the body is the original's. Nothing
 * that was not asked to change is ever re-serialised, so binary parts (application/isup) and
 * the peer's own spelling of headers and delimiters survive byte for byte. It reads the body with
 * the same parser as classifyBody (body-tree.ts), so the leaves it hands to `rewrite` are exactly
 * the ones the guard classified and policed, in the same order.
 */
import type { BodyLimits } from './body-limits.ts';
import type { BodyPart } from './body-part.ts';
import { parseBody, type BodyNode } from './body-tree.ts';
import { InvalidBody } from './invalid-body.ts';

/**
 * Returned by `rewrite` per leaf: a string replaces the content, null removes the part,
 * undefined keeps it untouched.
 */
export type PartRewrite = (part: BodyPart, index: number) => string | null | undefined;

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Collects the edits for `node` in document order; true when every leaf under it is removed. */
function planEdits(node: BodyNode, rewrite: PartRewrite, counter: { index: number }, dashes: readonly string[], edits: Edit[]): boolean {
  if (node.kind === 'leaf') {
    const replacement = rewrite(node.part, counter.index++);
    if (replacement === undefined) {
      return false;
    }
    if (replacement === null) {
      return true;
    }
    if (/[^\x00-\xff]/.test(replacement)) {
      throw new RangeError('replacement content is not a byte string (char code above 255)');
    }
    if (dashes.length > 0) {
      // Content follows CRLF and precedes CRLF, so an enclosing delimiter can only be created by
      // the replacement containing the boundary itself; parseMultipart would then refuse the body.
      const lower = replacement.toLowerCase();
      if (dashes.some((d) => lower.includes(d))) {
        throw new RangeError('replacement content contains an enclosing multipart boundary');
      }
    }
    edits.push({ start: node.contentStart, end: node.contentEnd, text: replacement });
    return false;
  }
  const inner = [...dashes, node.lowerDash];
  let kept = 0;
  for (const child of node.children) {
    const childEdits: Edit[] = [];
    if (planEdits(child.node, rewrite, counter, inner, childEdits)) {
      edits.push({ start: child.removeStart, end: child.removeEnd, text: '' });
    } else {
      edits.push(...childEdits);
      kept++;
    }
  }
  return kept === 0;
}

/**
 * Replaces the content of leaf parts (in classifyBody's leaf order) for which `rewrite` returns a
 * string, removes those for which it returns null, keeps those for which it returns undefined.
 * Removing a part removes its delimiter line and the part; a multipart left without parts is
 * removed from its parent, and when nothing remains the result is { body: '', contentType:
 * undefined }. Every other byte is the original's. The caller classifies first: an empty body is
 * returned as is, an invalid one throws (there is nothing safe to rewrite), as does a replacement
 * that is not a byte string or contains an enclosing boundary.
 */
export function rewriteBody(
  contentType: string | undefined,
  body: string,
  rewrite: PartRewrite,
  limits?: BodyLimits,
): { body: string; contentType: string | undefined } {
  if (body.length === 0) {
    return { body, contentType };
  }
  let root: BodyNode;
  try {
    root = parseBody(contentType, body, limits);
  } catch (err) {
    if (err instanceof InvalidBody) {
      throw new Error(`cannot rewrite an invalid body: ${err.message}`);
    }
    throw err;
  }
  const edits: Edit[] = [];
  if (planEdits(root, rewrite, { index: 0 }, [], edits)) {
    return { body: '', contentType: undefined };
  }
  const pieces: string[] = [];
  let pos = 0;
  for (const edit of edits) {
    pieces.push(body.slice(pos, edit.start), edit.text);
    pos = edit.end;
  }
  pieces.push(body.slice(pos));
  return { body: pieces.join(''), contentType };
}
