/**
 * The bounds on a body's multipart tree. A hostile peer can nest multiparts or multiply parts
 * at almost no cost to itself, and every leaf may be an SDP the guard then reads and polices:
 * the bounds keep that work small, and a body past them is refused as over the limit (the
 * caller can tell that from a syntax refusal). Defaults and checks live here, apart from the
 * parser, because the message parser (with the profile's bounds), the classifier and the
 * rewriter all take the same bounds and must fill in the same defaults.
 */

export interface BodyLimits {
  /** Maximum nesting of multipart containers (the outermost counts 1). Default 4. */
  readonly maxDepth?: number;
  /** Maximum number of leaf parts in the whole tree. Default 16. */
  readonly maxParts?: number;
}

const DEFAULT_MAX_DEPTH = 4;
const DEFAULT_MAX_PARTS = 16;

/** The limits with defaults filled in; a RangeError for a bound that is not a usable integer. */
export function resolveLimits(limits: BodyLimits | undefined): { maxDepth: number; maxParts: number } {
  const maxDepth = limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxParts = limits?.maxParts ?? DEFAULT_MAX_PARTS;
  if (!Number.isInteger(maxDepth) || maxDepth < 0 || !Number.isInteger(maxParts) || maxParts < 1) {
    throw new RangeError('maxDepth must be an integer >= 0 and maxParts an integer >= 1');
  }
  return { maxDepth, maxParts };
}
