/**
 * Property: for random multipart trees with random byte contents, classifyBody finds exactly the
 * generated leaves, rewriteBody with the identity returns the very same string, and rewriting or
 * removing leaves changes exactly the bytes an independent renderer predicts.
 */
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { rewriteBody } from '../../src/sip/body-rewrite.ts';
import { classifyBody } from '../../src/sip/sip-body.ts';
import type { BodyClass } from '../../src/sip/sip-body.ts';
import type { BodyPart } from '../../src/sip/body-part.ts';

interface Leaf {
  readonly kind: 'leaf';
  readonly type: string;
  /** Content-Type header line(s) without final CRLF, e.g. with odd case, parameters or folding. */
  readonly header: string;
  readonly disposition: string | null;
  readonly extra: string;
  readonly content: string;
}

interface Multi {
  readonly kind: 'multi';
  readonly subtype: string;
  readonly boundary: string;
  readonly preamble: string | null;
  readonly epilogue: string | null;
  readonly pads: readonly string[];
  readonly closePad: string;
  readonly children: readonly Tree[];
}

type Tree = Leaf | Multi;

const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";
const LIMITS = { maxDepth: 64, maxParts: 1000 };
const MARKER = '\u00a7SDP\u00a7';

/** Random bytes mixed with the tokens a multipart parser cares about. */
const bytes = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), fc.constantFrom('\r\n', '--', '\r', '\n', 'v=0\r\n', ' ', '\r\n\r\n')), { maxLength: 40 })
  .map((a) => a.join(''));

const randomCase = (s: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => [...s].map((ch, i) => (up[i] ? ch.toUpperCase() : ch)).join(''));

const leafArb: fc.Arbitrary<Leaf> = fc
  .record({
    type: fc.constantFrom('application/sdp', 'application/isup', 'text/plain', 'application/resource-lists+xml'),
    cased: fc.boolean(),
    params: fc.constantFrom('', ';charset=utf-8', '; version="itu-t92+"', ' ; a=b;c="d\\"e"'),
    fold: fc.boolean(),
    disposition: fc.constantFrom(null, 'session', 'Signal;handling=optional', 'render'),
    extra: fc.constantFrom('', 'Content-ID: <a@b>\r\n', 'Content-Transfer-Encoding: binary\r\n', 'X-Odd:\r\n\tfolded\r\n'),
    content: bytes,
  })
  .chain((r) =>
    (r.cased ? randomCase(r.type) : fc.constant(r.type)).map((typeText): Leaf => ({
      kind: 'leaf',
      type: r.type,
      header: `Content-Type:${r.fold ? '\r\n ' : ' '}${typeText}${r.params}`,
      disposition: r.disposition,
      extra: r.extra,
      content: r.content,
    })),
  );

const boundaryArb = fc
  .string({ unit: fc.constantFrom(...BCHARS), minLength: 1, maxLength: 70 })
  .filter((b) => !b.endsWith(' '));

const { multi: rootArb } = fc.letrec<{ tree: Tree; multi: Multi }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('multi')),
  multi: fc
    .record({
      subtype: fc.constantFrom('mixed', 'alternative', 'related', 'Mixed'),
      boundary: boundaryArb,
      preamble: fc.option(bytes),
      epilogue: fc.option(bytes),
      closePad: fc.constantFrom('', ' ', '\t '),
      children: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }),
    })
    .chain((r) =>
      fc.array(fc.constantFrom('', ' ', '\t'), { minLength: r.children.length, maxLength: r.children.length }).map((pads): Multi => ({ kind: 'multi', ...r, pads })),
    ),
}));

function contentTypeOf(m: Multi): string {
  return `multipart/${m.subtype}; boundary="${m.boundary}"`;
}

function headersOf(child: Tree): string {
  return child.kind === 'leaf'
    ? `${child.header}\r\n${child.disposition === null ? '' : `Content-Disposition: ${child.disposition}\r\n`}${child.extra}`
    : `Content-Type: ${contentTypeOf(child)}\r\n`;
}

/** Independent renderer: `f` gives each leaf's content, or null to prune it (empty containers go too). */
function render(node: Tree, f: (leaf: Leaf) => string | null): string | null {
  if (node.kind === 'leaf') {
    return f(node);
  }
  const parts: string[] = [];
  node.children.forEach((child, i) => {
    const inner = render(child, f);
    if (inner === null) {
      return;
    }
    parts.push(`--${node.boundary}${node.pads[i] ?? ''}\r\n${headersOf(child)}\r\n${inner}`);
  });
  if (parts.length === 0) {
    return null;
  }
  const pre = node.preamble === null ? '' : `${node.preamble}\r\n`;
  const epi = node.epilogue === null ? '' : `\r\n${node.epilogue}`;
  return `${pre}${parts.join('\r\n')}\r\n--${node.boundary}--${node.closePad}${epi}`;
}

function leavesOf(node: Tree): Leaf[] {
  return node.kind === 'leaf' ? [node] : node.children.flatMap(leavesOf);
}

/** RFC 2046 §5.1.1: no container's boundary may occur (in any case) inside what it encloses. */
function wellFormed(node: Tree): boolean {
  if (node.kind === 'leaf') {
    return true;
  }
  const dash = `--${node.boundary}`.toLowerCase();
  // Child headers hold nested boundaries; those must not contain ours either.
  const inside = [node.preamble ?? '', node.epilogue ?? '', ...node.children.map((c) => `${headersOf(c)}${render(c, (l) => l.content) ?? ''}`)];
  return inside.every((s) => !s.toLowerCase().includes(dash)) && node.children.every(wellFormed);
}

function expectedPart(l: Leaf): BodyPart {
  return {
    type: l.type,
    isSdp: l.type === 'application/sdp',
    content: l.content,
    disposition: l.disposition === null ? null : (l.disposition.split(';')[0] ?? '').toLowerCase(),
  };
}

function partsOf(c: BodyClass): readonly BodyPart[] | string {
  return c.kind === 'parts' ? c.parts : c.kind === 'invalid' ? c.detail : 'none';
}

t.test('random multipart trees: classify, identity and SDP rewrite', async (t) => {
  fc.assert(
    fc.property(rootArb, (tree) => {
      fc.pre(wellFormed(tree));
      const ct = contentTypeOf(tree);
      const body = render(tree, (l) => l.content) ?? '';
      const leaves = leavesOf(tree);
      const classified = isDeepStrictEqual(partsOf(classifyBody(ct, body, LIMITS)), leaves.map(expectedPart));
      const identity = rewriteBody(ct, body, () => undefined, LIMITS);
      const echo = rewriteBody(ct, body, (p) => p.content, LIMITS);
      const marked = rewriteBody(ct, body, (p) => (p.isSdp ? MARKER : undefined), LIMITS);
      const expectedMarked = render(tree, (l) => (l.type === 'application/sdp' ? MARKER : l.content));
      return classified && identity.body === body && echo.body === body && identity.contentType === ct && marked.body === expectedMarked;
    }),
    { numRuns: 400 },
  );
  t.pass('400 runs');
});

t.test('random multipart trees: removal prunes exactly the chosen leaves', async (t) => {
  fc.assert(
    fc.property(rootArb, fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), (tree, drop) => {
      fc.pre(wellFormed(tree));
      const ct = contentTypeOf(tree);
      const body = render(tree, (l) => l.content) ?? '';
      const leaves = leavesOf(tree);
      const dropped = new Set(leaves.filter((_, i) => drop[i] === true));
      const out = rewriteBody(ct, body, (_p, i) => (drop[i] === true ? null : undefined), LIMITS);
      const expected = render(tree, (l) => (dropped.has(l) ? null : l.content));
      if (expected === null) {
        return out.body === '' && out.contentType === undefined;
      }
      const kept = leaves.filter((l) => !dropped.has(l)).map(expectedPart);
      return isDeepStrictEqual(partsOf(classifyBody(out.contentType, out.body, LIMITS)), kept) && out.body === expected && out.contentType === ct;
    }),
    { numRuns: 400 },
  );
  t.pass('400 runs');
});

t.test('random bytes never throw and single bodies round trip', async (t) => {
  fc.assert(
    fc.property(bytes, fc.constantFrom('multipart/mixed;boundary=a', 'multipart/mixed;boundary="-"', 'application/sdp', 'text/plain'), (body, ct) => {
      const c = classifyBody(ct, body);
      if (c.kind === 'parts') {
        return rewriteBody(ct, body, (p) => p.content).body === body;
      }
      return c.kind === (body === '' ? 'none' : 'invalid');
    }),
    { numRuns: 1000 },
  );
  t.pass('no exception');
});
