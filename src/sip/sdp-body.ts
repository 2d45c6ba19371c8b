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
 * controller (limits, admitted, policed, stamped, recorded), and the copies the guard builds
 * share its body string: the last few classifications are kept by Content-Type and body, so the
 * parse happens once. `limits` applies only when the body has not been classified yet (the
 * parser passes the profile's, and classifies afresh; later callers get that result).
 * Kept by value in a small ring, which copies hit too; the parser's own classification (under the
 * profile's limits) is also tied to its message, so that a later caller gets it however many other
 * messages were classified meanwhile (a body over the profile's limits stays so). A WeakMap entry
 * for every classification cost more than the rest of this function.
 */
export function classifyMessageBody(msg: SipMessage, limits?: BodyLimits): BodyClass {
  const type = getHeader(msg, 'Content-Type');
  const body = msg.body;
  if (limits === undefined) {
    // The parser's reading of this very message first: it is the one the profile's limits made.
    const parsed = byParser.get(msg);
    if (parsed !== undefined && parsed.body === body && parsed.type === type) {
      return parsed.result;
    }
    for (const kept of recent) {
      if (kept !== undefined && kept.body === body && kept.type === type) {
        return kept.result;
      }
    }
  }
  const result = classifyBody(type, body, limits);
  const entry = { type, body, result };
  recent[next] = entry;
  next = (next + 1) % recent.length;
  if (limits !== undefined) {
    byParser.set(msg, entry);
  }
  return result;
}

interface KeptClass {
  readonly type: string | undefined;
  readonly body: string;
  readonly result: BodyClass;
}

/** The classifications of the last bodies seen (a message and the copies made of it fall well within). */
const recent: Array<KeptClass | undefined> = new Array<KeptClass | undefined>(8).fill(undefined);
let next = 0;
/** The classification under the profile's limits of each message the parser read. */
const byParser = new WeakMap<SipMessage, KeptClass>();

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
