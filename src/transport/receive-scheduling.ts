/**
 * The transport parses a received message only when the front end says so: the front end queues
 * each message in its sender's fair share (src/front/fair-share.ts), so the parse of a peer's
 * expensive messages happens on that peer's time, not the core's.
 *
 * When the sender's queue is full, a datagram is dropped (the sender retransmits, and answering a
 * flood would cost what the queue saves); on a stream, where nothing is retransmitted, a request
 * is answered 503 with the scheduler's Retry-After. No log line here: the scheduler counts and
 * summarises.
 */
import { Buffer } from 'node:buffer';
import { UNDER_WAY_METHODS, type SipResponse } from '../sip/sip-message.ts';
import { annotateTopVia } from './annotate-via.ts';
import type { Endpoint } from './endpoint.ts';
import { salvageResponse } from './salvage-response.ts';

/**
 * Queues `work` for `source`'s sender, or says it is over its queue and for how long to back off.
 * `inDialog`: the bytes start as a message of a dialog or transaction under way does (startsInDialog).
 */
export type ReceiveScheduler = (
  source: Endpoint,
  work: () => void,
  inDialog: boolean,
) => { readonly queued: true } | { readonly queued: false; readonly retryAfterS: number };

/** How the request line of an under-way method, or a status line, starts (RFC 3261 7.1, 7.2). */
const IN_DIALOG_STARTS: readonly Buffer[] = [...UNDER_WAY_METHODS.map((method) => `${method} `), 'SIP/2.0 '].map((start) => Buffer.from(start, 'latin1'));

/**
 * Whether received bytes start as a message of a dialog or transaction already under way:
 * read from the first bytes, before any parse. A claim only (the parse decides what the message
 * is): it earns the sender's queue its headroom, never more (src/front/fair-share.ts).
 */
export function startsInDialog(raw: Buffer): boolean {
  for (const start of IN_DIALOG_STARTS) {
    if (raw.length >= start.length && raw.compare(start, 0, start.length, 0, start.length) === 0) {
      return true;
    }
  }
  return false;
}

export interface ReceiveContext {
  /** The message as received, for a 503 when it cannot be queued. */
  readonly raw: Buffer;
  /** Sends that 503 back on the stream; null on UDP (dropped). */
  readonly reply: ((res: SipResponse) => void) | null;
  /** What `work` threw. */
  readonly failed: (err: unknown) => void;
}

export function scheduleReceive(schedule: ReceiveScheduler | undefined, source: Endpoint, work: () => void, ctx: ReceiveContext): void {
  const guarded = (): void => {
    try {
      work();
    } catch (err) {
      ctx.failed(err);
    }
  };
  if (schedule === undefined) {
    guarded();
    return;
  }
  const verdict = schedule(source, guarded, startsInDialog(ctx.raw));
  if (!verdict.queued && ctx.reply !== null) {
    const res = salvageResponse(ctx.raw.toString('utf8'), 503, 'Service Unavailable');
    if (res !== null) {
      res.headers.push({ name: 'Retry-After', value: String(verdict.retryAfterS) });
      annotateTopVia(res, source);
      ctx.reply(res);
    }
  }
}
