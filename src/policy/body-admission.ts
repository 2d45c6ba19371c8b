import type { Profile } from '../profile/profile-types.ts';
import type { BodyClass } from '../sip/sip-body.ts';
import type { Reason } from './reason.ts';

/**
 * Body types an untrusted peer may send and receive: SDP (policed), and DTMF relayed in INFO
 * (RFC 6086 packages; telephone events carry no identity). Everything else is refused from it
 * (a type the guard cannot read may hide an offer a receiver reads) and removed toward it
 * (application/isup and the XML bodies of IMS carry numbers, locations and device ids).
 */
export const UNTRUSTED_BODY_TYPES: ReadonlySet<string> = new Set(['application/sdp', 'application/dtmf-relay', 'application/dtmf']);

/** What a 415 names as acceptable (RFC 3261 21.4.13): the types above, in a multipart too (RFC 5621 3.2). */
export const ACCEPTED_BODY_TYPES = [...UNTRUSTED_BODY_TYPES, 'multipart/mixed', 'multipart/alternative'].join(', ');

export interface BodyFacts {
  readonly body: BodyClass;
  /** Every Content-Encoding value of the message, all its lines (RFC 3261 20.12: a list). */
  readonly contentEncodings: readonly string[];
  readonly senderTrusted: boolean;
  readonly senderLabel: string;
  /**
   * `guard.fail: open` lets a body the guard cannot vouch for pass, with its reason logged, and
   * so does monitor mode (it reports what enforce would refuse): resolved here, not by callers.
   */
  readonly guard: Pick<Profile['guard'], 'fail' | 'mode'>;
}

export type BodyAdmission =
  | { readonly ok: true; readonly reasons: readonly Reason[] }
  | { readonly ok: false; readonly status: 415; readonly reason: Reason };

/**
 * Default deny for bodies from untrusted peers: only a body the guard can take apart to its
 * leaves, whose every leaf is of a type above, without a content coding, is let through. A
 * trusted peer's body is not judged here (its SDP is still read where it can be).
 */
export function admitBody(facts: BodyFacts): BodyAdmission {
  if (facts.senderTrusted || facts.body.kind === 'none') {
    return { ok: true, reasons: [] };
  }
  const problem = bodyProblem(facts);
  if (problem === null) {
    return { ok: true, reasons: [] };
  }
  const reason: Reason = { code: 'body.unsupported-type', peer: facts.senderLabel, detail: problem };
  const failOpen = facts.guard.fail === 'open' || facts.guard.mode === 'monitor';
  return failOpen ? { ok: true, reasons: [reason] } : { ok: false, status: 415, reason };
}

function bodyProblem(facts: BodyFacts): string | null {
  const coding = facts.contentEncodings.map((c) => c.trim().toLowerCase()).find((c) => c !== '' && c !== 'identity');
  if (coding !== undefined) {
    return `Content-Encoding ${coding.slice(0, 40)}: an encoded body cannot be policed`;
  }
  if (facts.body.kind === 'invalid') {
    return facts.body.detail;
  }
  if (facts.body.kind === 'parts') {
    const refused = facts.body.parts.find((part) => !UNTRUSTED_BODY_TYPES.has(part.type));
    if (refused !== undefined) {
      return `body type ${refused.type.slice(0, 60)} is not accepted from an untrusted peer`;
    }
  }
  return null;
}
