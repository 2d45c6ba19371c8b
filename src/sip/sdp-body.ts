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
  return classifyBody(getHeader(msg, 'Content-Type'), msg.body);
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
  const body = classifyBody(type, msg.body);
  if (body.kind !== 'parts' || !body.parts.some((p) => p.isSdp)) {
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
  const body = classifyBody(type, msg.body);
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
