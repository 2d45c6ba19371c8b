/**
 * Classification and byte-exact rewriting of SIP message bodies, single or multipart (RFC 5621).
 *
 * The guard polices SDP wherever a receiver could find it: a single `application/sdp` body in any
 * letter case or with parameters, and SDP leaves of `multipart/*` trees (RFC 2046 §5.1), nested.
 * Application Servers are untrusted and know this code, so every construct on which a lenient
 * receiver could disagree with this parser about where parts begin, end or what they are is
 * refused as 'invalid' rather than guessed ("what the guard cannot classify is refused").
 *
 * Model: a body is a byte string (every char code 0–255, as decoded with 'latin1'); nothing that
 * was not asked to change is ever re-serialised, so binary parts (application/isup) survive
 * byte for byte.
 */
import type { BodyLimits } from './body-limits.ts';
import type { BodyPart } from './body-part.ts';
import { parseBody, type BodyNode } from './body-tree.ts';
import { InvalidBody } from './invalid-body.ts';

export type BodyClass =
  | { readonly kind: 'none' }
  | { readonly kind: 'parts'; readonly parts: readonly BodyPart[] }
  | { readonly kind: 'invalid'; readonly detail: string; /** Present when a BodyLimits bound, not the syntax, refused it. */ readonly overLimit?: true };

/**
 * Returned by `rewrite` per leaf: a string replaces the content, null removes the part,
 * undefined keeps it untouched.
 */
export type PartRewrite = (part: BodyPart, index: number) => string | null | undefined;

const NONE: BodyClass = { kind: 'none' };

function collectLeaves(node: BodyNode, out: BodyPart[]): BodyPart[] {
  if (node.kind === 'leaf') {
    out.push(node.part);
  } else {
    for (const child of node.children) {
      collectLeaves(child.node, out);
    }
  }
  return out;
}

/**
 * Classifies a body: 'none' when empty, 'parts' with every leaf (one for a single body, the
 * leaves of a multipart tree in document order otherwise), 'invalid' when the guard cannot be
 * sure a receiver would see the same parts.
 */
export function classifyBody(contentType: string | undefined, body: string, limits?: BodyLimits): BodyClass {
  if (body.length === 0) {
    return NONE;
  }
  try {
    return { kind: 'parts', parts: collectLeaves(parseBody(contentType, body, limits), []) };
  } catch (err) {
    if (err instanceof InvalidBody) {
      return err.overLimit ? { kind: 'invalid', detail: err.message, overLimit: true } : { kind: 'invalid', detail: err.message };
    }
    throw err;
  }
}

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
