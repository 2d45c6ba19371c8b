/**
 * One message through one call: `step(located, message, sender, facts)` returns the next state,
 * what to send where, and the report. Synchronous and without I/O: the controller reads what a
 * step needs before it (`lookupOf` says which leg to look for) and writes what it returns.
 * Every decision about a message is made below here, in this order: admission of the request,
 * then the path for its kind (initial, in-dialog, CANCEL, response).
 */
import type { PolicyRefusal } from '../policy/policy-refusal.ts';
import { admitRequest, refusesSource } from '../policy/request-admission.ts';
import type { Sender } from '../policy/sender.ts';
import { decideRoute, type RouteDecision } from '../routing/route-decision.ts';
import { parseCSeq } from '../sip/cseq.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { SUPPORTED_EXTENSIONS, unsupportedExtensions } from '../sip/required-extensions.ts';
import { getHeader } from '../sip/sip-headers.ts';
import type { SipMessage, SipRequest, SipResponse } from '../sip/sip-message.ts';
import { transactionKey, type HopState, type LegSide } from '../state/call-state.ts';
import type { Located } from './leg-matching.ts';
import { raiseMinSe, sessionIntervalRefusal } from './session-timer.ts';
import { stepCancel } from './step-cancel.ts';
import { dropOutcome, refusalOutcome, unchanged, type ReportBase, type StepContext, type StepFacts, type StepResult } from './step-context.ts';
import { stepInDialog } from './step-in-dialog.ts';
import { stepInitial } from './step-initial.ts';
import { stepResponse } from './step-response.ts';

/** The store key naming the leg a message belongs to, and which legs would do when it names none (lenient matching only). */
export interface Lookup {
  readonly key: string;
  readonly accepts: (hop: HopState, side: LegSide) => boolean;
}

/** What the controller reads before a step: the leg to look up (null: none), and the route of a dialog-creating request. */
export function lookupOf(ctx: StepContext, msg: SipMessage, sender: Sender): { readonly lookup: Lookup | null; readonly route?: RouteDecision } {
  const callId = getHeader(msg, 'Call-ID') ?? '';
  const peerId = sender.peer?.id ?? null;
  if (msg.kind === 'response') {
    const cseq = parseCSeq(getHeader(msg, 'CSeq') ?? '');
    return {
      lookup: {
        key: `leg:${callId}:${tagOf(getHeader(msg, 'From')) ?? ''}`,
        accepts: (hop, side) =>
          hop[side].peerId === peerId &&
          (hop.transactions[transactionKey(side, cseq.seq, cseq.method)] !== undefined || Object.values(hop.transactions).some((t) => t.method === cseq.method)),
      },
    };
  }
  // Refused before any look-up: nothing of an unknown source reaches the store.
  if (refusesSource(sender.peer !== undefined, ctx.profile.guard.unknownPeers)) {
    return { lookup: null };
  }
  if (msg.method === 'CANCEL') {
    return {
      lookup: {
        key: `early:${callId}:${tagOf(getHeader(msg, 'From')) ?? ''}`,
        accepts: (hop, side) => side === 'upstream' && hop.phase === 'early' && hop.upstream.peerId === peerId,
      },
    };
  }
  const toTag = tagOf(getHeader(msg, 'To'));
  if (toTag !== null) {
    return { lookup: { key: `leg:${callId}:${toTag}`, accepts: (hop, side) => hop[side].peerId === peerId && hop.phase !== 'ended' } };
  }
  if (msg.method === 'ACK') {
    return { lookup: null };
  }
  const route = decideRoute(msg, ctx.self, ctx.peers, ctx.profile.sip.nextHop);
  return { lookup: route.ok && route.token !== null ? { key: `token:${route.token}`, accepts: () => false } : null, route };
}

export function step(ctx: StepContext, located: Located | null, msg: SipMessage, sender: Sender, facts: StepFacts): StepResult {
  return msg.kind === 'request' ? stepRequest(ctx, located, msg, sender, facts) : stepAnyResponse(ctx, located, msg, sender, facts);
}

function stepRequest(ctx: StepContext, located: Located | null, req: SipRequest, sender: Sender, facts: StepFacts): StepResult {
  const base: ReportBase = { call: null, from: sender.label, initiator: null, message: req.method };
  const refused = admission(ctx, req, sender);
  if (refused !== null) {
    return unchanged(null, refusalOutcome(ctx, req, sender, { ...refused, report: base }));
  }
  if (req.method === 'CANCEL') {
    return stepCancel(ctx, req, parseCSeq(getHeader(req, 'CSeq') ?? ''), sender, located, base);
  }
  if (tagOf(getHeader(req, 'To')) !== null) {
    return withMinSe(ctx, stepInDialog(ctx, facts, req, sender, located, base));
  }
  if (req.method === 'ACK') {
    // An ACK without a To tag acknowledges nothing the guard sent (RFC 3261 17.2.1 absorbs the real ones).
    return unchanged(null, dropOutcome(base, [{ code: 'dialog.unknown' }]));
  }
  // RFC 4028 8.1: a session shorter than the guard's floor is refused before anything is set up.
  const tooShort = sessionIntervalRefusal(req.method, req, ctx.profile.sip.minSe);
  if (tooShort !== null) {
    return unchanged(null, refusalOutcome(ctx, req, sender, { ...tooShort, report: base }));
  }
  return withMinSe(ctx, stepInitial(ctx, facts, req, sender, located, base));
}

/** A forwarded INVITE or UPDATE with a Session-Expires carries at least the guard's Min-SE (session-timer.ts). */
function withMinSe(ctx: StepContext, result: StepResult): StepResult {
  const { outcome } = result;
  if (outcome.kind === 'forward' && outcome.message.kind === 'request') {
    raiseMinSe(outcome.message.method, outcome.message, ctx.profile.sip.minSe);
  }
  return result;
}

function stepAnyResponse(ctx: StepContext, located: Located | null, res: SipResponse, sender: Sender, facts: StepFacts): StepResult {
  const cseq = parseCSeq(getHeader(res, 'CSeq') ?? '');
  const base: ReportBase = { call: null, from: sender.label, initiator: null, message: `${res.status} ${cseq.method}` };
  return stepResponse(ctx, facts, res, cseq, sender, located, base);
}

/** The first decision on every request: unknown peer, Max-Forwards, unsupported extensions (src/policy/request-admission.ts). */
function admission(ctx: StepContext, req: SipRequest, sender: Sender): PolicyRefusal | null {
  const admitted = admitRequest({
    method: req.method,
    peerKnown: sender.peer !== undefined,
    unknownPeers: ctx.profile.guard.unknownPeers,
    sourceAddress: sender.address,
    maxForwards: getHeader(req, 'Max-Forwards'),
    unsupported: unsupportedExtensions(req, SUPPORTED_EXTENSIONS),
  });
  return admitted.admitted ? null : admitted;
}
