/**
 * SDP wherever a message carries it: a single body of type application/sdp (any letter case,
 * any parameters) or every SDP leaf of a multipart body, nested (RFC 5621). What the guard does
 * to "the SDP" of a message it does to each of them, and everything else of the body stays byte
 * for byte as it came (see sip-body.ts).
 */
import { classifyBody, rewriteBody, type BodyClass } from './sip-body.ts';
import { getHeader, removeHeader, setHeader } from './sip-headers.ts';
import type { SipMessage } from './sip-message.ts';

export function classifyMessageBody(msg: SipMessage): BodyClass {
  return classified(getHeader(msg, 'Content-Type'), msg.body);
}

/**
 * One message's body is looked at several times on its way through the controller (admitted,
 * policed, stamped, recorded): the last classification is kept, so the same body is taken apart
 * once. Strings compare by reference first, so the hit costs next to nothing.
 */
let last: { readonly type: string | undefined; readonly body: string; readonly result: BodyClass } | null = null;

function classified(type: string | undefined, body: string): BodyClass {
  if (last !== null && last.body === body && last.type === type) {
    return last.result;
  }
  const result = classifyBody(type, body);
  last = { type, body, result };
  return result;
}

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
  const body = classified(type, msg.body);
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
  const body = classified(type, msg.body);
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
