/**
 * Parses a SIP body into a tree with absolute offsets into the original body: rendering splices
 * the original string, so bytes outside rewritten or removed ranges are untouched by
 * construction. Both classifyBody (sip-body.ts) and rewriteBody (body-rewrite.ts) work from this
 * one parse, so what the guard polices and what it rewrites can never be two readings of the body.
 *
 * A body is a byte string (every char code 0–255, as decoded with 'latin1'). Every construct on
 * which a lenient receiver could disagree about where parts begin or end is refused by throwing
 * InvalidBody (see invalid-body.ts); media-type syntax is mime-parameters.ts, part headers
 * mime-part-headers.ts.
 */
import { resolveLimits, type BodyLimits } from './body-limits.ts';
import type { BodyPart } from './body-part.ts';
import { fail } from './invalid-body.ts';
import { boundaryOf, isWsp, parseParameterised, type ParsedValue } from './mime-parameters.ts';
import { parsePartHeaders } from './mime-part-headers.ts';

const CRLF = '\r\n';
const SDP_TYPE = 'application/sdp';

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

export type BodyNode = LeafNode | ContainerNode;

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

/** Parses a non-empty body; throws InvalidBody. */
export function parseBody(contentType: string | undefined, body: string, limits: BodyLimits | undefined): BodyNode {
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
