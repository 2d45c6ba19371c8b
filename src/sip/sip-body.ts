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
import { fail, InvalidBody } from './invalid-body.ts';
import { boundaryOf, isWsp, parseParameterised, type ParsedValue } from './mime-parameters.ts';
import { parsePartHeaders } from './mime-part-headers.ts';

export type BodyClass =
  | { readonly kind: 'none' }
  | { readonly kind: 'parts'; readonly parts: readonly BodyPart[] }
  | { readonly kind: 'invalid'; readonly detail: string; /** Present when a BodyLimits bound, not the syntax, refused it. */ readonly overLimit?: true };

export interface BodyPart {
  /** Lower-cased `type/subtype` without parameters, e.g. 'application/sdp'. */
  readonly type: string;
  /** type === 'application/sdp'. */
  readonly isSdp: boolean;
  /** The part's content (byte string), without its MIME headers. */
  readonly content: string;
  /** Lower-cased disposition type of the part's Content-Disposition, null if none (always null for a single body). */
  readonly disposition: string | null;
}

export interface BodyLimits {
  /** Maximum nesting of multipart containers (the outermost counts 1). Default 4. */
  readonly maxDepth?: number;
  /** Maximum number of leaf parts in the whole tree. Default 16. */
  readonly maxParts?: number;
}

/**
 * Returned by `rewrite` per leaf: a string replaces the content, null removes the part,
 * undefined keeps it untouched.
 */
export type PartRewrite = (part: BodyPart, index: number) => string | null | undefined;

const DEFAULT_MAX_DEPTH = 4;
const DEFAULT_MAX_PARTS = 16;
const CRLF = '\r\n';
const SDP_TYPE = 'application/sdp';
const NONE: BodyClass = { kind: 'none' };

// ---------------------------------------------------------------------------------------------
// Body tree with absolute offsets into the original body: rendering splices the original string,
// so bytes outside rewritten or removed ranges are untouched by construction.
// ---------------------------------------------------------------------------------------------

interface LeafNode {
  readonly kind: 'leaf';
  readonly part: BodyPart;
  readonly contentStart: number;
  readonly contentEnd: number;
}

interface ChildNode {
  readonly node: BodyNode;
  /** [removeStart, removeEnd): this part's delimiter line, the part and the CRLF before the next delimiter. */
  readonly removeStart: number;
  readonly removeEnd: number;
}

interface ContainerNode {
  readonly kind: 'multipart';
  /** Lower-cased "--" boundary: rewritten content must not contain it (it would split the part). */
  readonly lowerDash: string;
  readonly children: readonly ChildNode[];
}

type BodyNode = LeafNode | ContainerNode;

interface ParseContext {
  readonly body: string;
  readonly maxDepth: number;
  readonly maxParts: number;
  leaves: number;
}

function has(body: string, s: string, at: number, end: number): boolean {
  return at + s.length <= end && body.startsWith(s, at);
}

/**
 * The entity [start, end) of type `media`: a multipart container (any multipart/* subtype: they
 * share the RFC 2046 §5.1.1 syntax, and one treated as an opaque leaf could hide SDP from the
 * guard while a receiver that knows the subtype looks inside) or a leaf.
 */
function parseEntity(
  ctx: ParseContext,
  media: ParsedValue,
  disposition: string | null,
  start: number,
  end: number,
  depth: number,
): BodyNode {
  if (media.value.startsWith('multipart/')) {
    if (depth + 1 > ctx.maxDepth) {
      fail(`multipart nested deeper than ${ctx.maxDepth}`, true);
    }
    return parseMultipart(ctx, boundaryOf(media), start, end, depth + 1);
  }
  ctx.leaves++;
  if (ctx.leaves > ctx.maxParts) {
    fail(`more than ${ctx.maxParts} body parts`, true);
  }
  const part: BodyPart = {
    type: media.value,
    isSdp: media.value === SDP_TYPE,
    content: ctx.body.slice(start, end),
    disposition,
  };
  return { kind: 'leaf', part, contentStart: start, contentEnd: end };
}

/**
 * RFC 2046 §5.1.1 multipart-body within [start, end). Every occurrence of "--" boundary, in any
 * letter case and anywhere (not only at line starts), must be a well-formed delimiter: RFC 2046
 * forbids the boundary inside parts, and a receiver that matches it case-insensitively, after a
 * bare LF, mid-line, as a prefix of a longer line or in the epilogue would otherwise split the body
 * differently than the guard. Linear: one lower-casing and indexOf scans.
 */
function parseMultipart(ctx: ParseContext, boundary: string, start: number, end: number, depth: number): ContainerNode {
  const { body } = ctx;
  const dash = `--${boundary}`;
  const lowerDash = dash.toLowerCase();
  // Latin-1 lower-casing maps every char to one char, so offsets in `lower` match `body`.
  const lower = body.slice(start, end).toLowerCase();
  const delimiters: number[] = [];
  const partStarts: number[] = [];
  let closeAt = -1;
  let rel = lower.indexOf(lowerDash);
  while (rel !== -1) {
    const at = start + rel;
    if (closeAt !== -1) {
      fail('boundary in the epilogue after the close delimiter (RFC 2046 5.1.1)');
    }
    if (!body.startsWith(dash, at)) {
      fail('boundary occurs in another letter case (RFC 2046 5.1.1)');
    }
    if (rel !== 0 && !(body.charCodeAt(at - 2) === 0x0d && body.charCodeAt(at - 1) === 0x0a)) {
      fail('boundary not at the start of a CRLF-terminated line (RFC 2046 5.1.1)');
    }
    if (delimiters.length > 0 && at - 2 < partStarts[partStarts.length - 1]!) {
      fail('delimiter shares its CRLF with the previous delimiter line (RFC 2046 5.1.1)');
    }
    let j = at + dash.length;
    const close = has(body, '--', j, end);
    if (close) {
      j += 2;
    }
    while (j < end && isWsp(body.charCodeAt(j))) {
      j++; // transport-padding (RFC 2046 5.1.1)
    }
    if (close) {
      if (j !== end && !has(body, CRLF, j, end)) {
        fail('close delimiter not followed by CRLF or the end of the body (RFC 2046 5.1.1)');
      }
      if (delimiters.length === 0) {
        fail('multipart without a body part (RFC 2046 5.1.1)');
      }
      closeAt = at;
    } else {
      if (!has(body, CRLF, j, end)) {
        fail('delimiter line not terminated by CRLF (RFC 2046 5.1.1)');
      }
      j += 2;
      delimiters.push(at);
      partStarts.push(j);
      if (delimiters.length > ctx.maxParts - ctx.leaves) {
        fail(`more than ${ctx.maxParts} body parts`, true);
      }
    }
    rel = lower.indexOf(lowerDash, j - start);
  }
  if (delimiters.length === 0) {
    fail('multipart body without a delimiter (RFC 2046 5.1.1)');
  }
  if (closeAt === -1) {
    fail('multipart body without close delimiter (RFC 2046 5.1.1)');
  }
  const children: ChildNode[] = [];
  for (let k = 0; k < delimiters.length; k++) {
    const next = k + 1 < delimiters.length ? delimiters[k + 1]! : closeAt;
    const node = parsePart(ctx, partStarts[k]!, next - 2, depth);
    children.push({ node, removeStart: delimiters[k]!, removeEnd: next });
  }
  return { kind: 'multipart', lowerDash, children };
}

/**
 * One body part [ps, pe): MIME headers (RFC 2045 §3, RFC 5322 §2.2 fields, folding allowed),
 * an empty line, content.
 */
function parsePart(ctx: ParseContext, ps: number, pe: number, depth: number): BodyNode {
  const text = ctx.body.slice(ps, pe);
  // RFC 2046 §5.1 defaults a part without Content-Type to text/plain, but a lenient receiver may
  // sniff "v=0" as SDP; the guard refuses what it cannot classify (RFC 5621 parts carry types).
  if (text.length === 0 || text.startsWith(CRLF)) {
    fail('body part without Content-Type');
  }
  const sep = text.indexOf('\r\n\r\n');
  if (sep === -1) {
    fail('body part headers not terminated by an empty line (RFC 2046 5.1.1)');
  }
  const headers = parsePartHeaders(text.slice(0, sep + 2));
  if (headers.contentType === undefined) {
    fail('body part without Content-Type');
  }
  if (headers.transferEncoding !== undefined) {
    // SIP is 8-bit clean (RFC 3261 7.4); base64 or quoted-printable only hide content from the
    // guard, and RFC 2045 6.4 forbids them on multiparts anyway. Refused for every part.
    const cte = headers.transferEncoding.replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase();
    if (cte !== '7bit' && cte !== '8bit' && cte !== 'binary') {
      fail(`Content-Transfer-Encoding ${JSON.stringify(cte)} refused: encoded content cannot be policed (RFC 2045 6.1)`);
    }
  }
  if (headers.contentEncoding !== undefined) {
    // Content-Encoding (RFC 3261 20.12) such as gzip would hide the content the same way.
    const enc = headers.contentEncoding.replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase();
    if (enc !== 'identity') {
      fail(`Content-Encoding ${JSON.stringify(enc)} in a body part refused`);
    }
  }
  const media = parseParameterised(headers.contentType, true, 'Content-Type');
  const disposition =
    headers.disposition === undefined ? null : parseParameterised(headers.disposition, false, 'Content-Disposition').value;
  return parseEntity(ctx, media, disposition, ps + sep + 4, pe, depth);
}

function resolveLimits(limits: BodyLimits | undefined): { maxDepth: number; maxParts: number } {
  const maxDepth = limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxParts = limits?.maxParts ?? DEFAULT_MAX_PARTS;
  if (!Number.isInteger(maxDepth) || maxDepth < 0 || !Number.isInteger(maxParts) || maxParts < 1) {
    throw new RangeError('maxDepth must be an integer >= 0 and maxParts an integer >= 1');
  }
  return { maxDepth, maxParts };
}

/** Parses a non-empty body; throws InvalidBody. */
function parseBody(contentType: string | undefined, body: string, limits: BodyLimits | undefined): BodyNode {
  const { maxDepth, maxParts } = resolveLimits(limits);
  if (contentType === undefined) {
    fail('body without Content-Type (RFC 3261 20.15)');
  }
  if (/[^\x00-\xff]/.test(body)) {
    fail('body is not a byte string (char code above 255)');
  }
  const media = parseParameterised(contentType, true, 'Content-Type');
  const ctx: ParseContext = { body, maxDepth, maxParts, leaves: 0 };
  return parseEntity(ctx, media, null, 0, body.length, 0);
}

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
