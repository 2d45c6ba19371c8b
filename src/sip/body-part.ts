/**
 * One leaf of a SIP body as the guard reports it: a single body, or one non-multipart part of a
 * multipart tree. A module of its own because the reader (sip-body.ts, body-tree.ts), the
 * rewriter (body-rewrite.ts) and their callers all share it without importing one another.
 */

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
