/**
 * Classification of SIP message bodies, single or multipart (RFC 5621): the parts a body has and
 * their types, or that the guard refuses it.
 *
 * The guard polices SDP wherever a receiver could find it: a single `application/sdp` body in any
 * letter case or with parameters, and SDP leaves of `multipart/*` trees (RFC 2046 §5.1), nested.
 * Application Servers are untrusted and know this code, so every construct on which a lenient
 * receiver could disagree with the guard's parser about where parts begin, end or what they are is
 * refused as 'invalid' rather than guessed ("what the guard cannot classify is refused").
 *
 * Model: a body is a byte string (every char code 0–255, as decoded with 'latin1'); nothing that
 * was not asked to change is ever re-serialised, so binary parts (application/isup) survive
 * byte for byte.
 *
 * The body is read by body-tree.ts and rewritten by body-rewrite.ts from that same parse;
 * classifyBody is the edge where the parser's refusal (InvalidBody) becomes { kind: 'invalid' }.
 */
import type { BodyLimits } from './body-limits.ts';
import type { BodyPart } from './body-part.ts';
import { parseBody, type BodyNode } from './body-tree.ts';
import { InvalidBody } from './invalid-body.ts';

export type BodyClass =
  | { readonly kind: 'none' }
  | { readonly kind: 'parts'; readonly parts: readonly BodyPart[] }
  | { readonly kind: 'invalid'; readonly detail: string; /** Present when a BodyLimits bound, not the syntax, refused it. */ readonly overLimit?: true };

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
