/**
 * SDP wherever a message carries it: a single body of type application/sdp (any letter case,
 * any parameters) or every SDP leaf of a multipart body, nested (RFC 5621). What the guard does
 * to "the SDP" of a message it does to each of them, and everything else of the body stays byte
 * for byte as it came (see sip-body.ts and body-rewrite.ts).
 */
import type { BodyLimits } from './body-limits.ts';
import { rewriteBody } from './body-rewrite.ts';
import { classifyBody, type BodyClass } from './sip-body.ts';
import { getHeader, removeHeader, setHeader } from './sip-headers.ts';
import type { SipMessage } from './sip-message.ts';

/**
 * The message's body taken apart. A message is looked at several times on its way through the
 * controller (limits, admitted, policed, stamped, recorded): the message keeps what was found
 * for as long as its Content-Type and body stay the very same strings, so the parse happens once.
 * `limits` applies only when the body has not been classified yet (the parser passes the
 * profile's; later callers get that result).
 */
export function classifyMessageBody(msg: SipMessage, limits?: BodyLimits): BodyClass {
  const type = getHeader(msg, 'Content-Type');
  const kept = classes.get(msg);
  if (kept !== undefined && kept.body === msg.body && kept.type === type) {
    return kept.result;
  }
  // A copy of a message (the request the guard forwards is built from the one it received)
  // shares its body string: the last classification with default limits serves it too.
  const result =
    limits === undefined && last !== null && last.body === msg.body && last.type === type ? last.result : classifyBody(type, msg.body, limits);
  const entry = { type, body: msg.body, result };
  classes.set(msg, entry);
  if (limits === undefined) {
    last = entry;
  }
  return result;
}

interface KeptClass {
  readonly type: string | undefined;
  readonly body: string;
  readonly result: BodyClass;
}

const classes = new WeakMap<SipMessage, KeptClass>();
let last: KeptClass | null = null;

/** True when the message carries at least one SDP part (RFC 3264 offers and answers). */
export function isSdpBody(msg: SipMessage): boolean {
  return firstSdp(msg) !== null;
}

/** The first SDP part's text, or null: the one the guard keeps as this message's offer or answer. */
export function firstSdp(msg: SipMessage): string | null {
  if (msg.body.length === 0) {
    return null;
  }
  const body = classifyMessageBody(msg);
  if (body.kind !== 'parts') {
    return null;
  }
  return body.parts.find((part) => part.isSdp)?.content ?? null;
}

/**
 * Rewrites every SDP part of `msg` with `rewrite` (index: 0 for the first SDP part). Only the
 * parts `rewrite` changes differ afterwards. A body that cannot be classified is left alone:
 * callers decide about those before (see body-admission.ts).
 */
export function mapSdpParts(msg: SipMessage, rewrite: (sdp: string, index: number) => string): void {
  if (msg.body.length === 0) {
    return;
  }
  const type = getHeader(msg, 'Content-Type');
  const body = classifyMessageBody(msg);
  if (body.kind !== 'parts' || !body.parts.some((p) => p.isSdp)) {
    return;
  }
  const only = body.parts.length === 1 && body.parts[0]?.content === msg.body ? body.parts[0] : undefined;
  if (only !== undefined) {
    // A single SDP body: no multipart to re-assemble.
    msg.body = rewrite(only.content, 0);
    return;
  }
  let sdpIndex = 0;
  const out = rewriteBody(type, msg.body, (part) => {
    if (!part.isSdp) {
      return undefined;
    }
    const next = rewrite(part.content, sdpIndex);
    sdpIndex += 1;
    return next === part.content ? undefined : next;
  });
  msg.body = out.body;
}

/**
 * Removes the parts whose type `keep` refuses; returns their types. A single body refused goes
 * with its Content-Type; a body that cannot be classified goes whole (reported as `invalid`).
 */
export function removeBodyParts(msg: SipMessage, keep: (type: string) => boolean): string[] {
  if (msg.body.length === 0) {
    return [];
  }
  const type = getHeader(msg, 'Content-Type');
  const body = classifyMessageBody(msg);
  if (body.kind === 'none') {
    return [];
  }
  if (body.kind === 'invalid') {
    msg.body = '';
    removeHeader(msg, 'Content-Type');
    return ['invalid'];
  }
  const removed = body.parts.filter((p) => !keep(p.type)).map((p) => p.type);
  if (removed.length === 0) {
    return [];
  }
  const out = rewriteBody(type, msg.body, (part) => (keep(part.type) ? undefined : null));
  msg.body = out.body;
  if (out.contentType === undefined) {
    removeHeader(msg, 'Content-Type');
  } else if (out.contentType !== type) {
    setHeader(msg, 'Content-Type', out.contentType);
  }
  return removed;
}

/** Replaces the whole body with one SDP (an answer the guard writes itself). */
export function setSdpBody(msg: SipMessage, sdp: string): void {
  msg.body = sdp;
  setHeader(msg, 'Content-Type', 'application/sdp');
}
