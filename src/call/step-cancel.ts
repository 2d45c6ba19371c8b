/** A CANCEL of an INVITE the guard forwarded (RFC 3261 9): relayed downstream as the guard's own CANCEL. */
import { wrongPeer } from '../policy/leg-ownership.ts';
import type { Sender } from '../policy/sender.ts';
import type { CSeq } from '../sip/cseq.ts';
import { setHeader } from '../sip/sip-headers.ts';
import type { SipRequest } from '../sip/sip-message.ts';
import { transactionKey } from '../state/call-state.ts';
import type { Located } from './leg-matching.ts';
import { endToEndHeaders, requestOnLeg } from './sip-builders.ts';
import { refusalOutcome, reportOf, unchanged, type ReportBase, type StepContext, type StepResult } from './step-context.ts';

const DEFAULT_MAX_FORWARDS = 70;

export function stepCancel(ctx: StepContext, req: SipRequest, cseq: CSeq, sender: Sender, located: Located | null, base: ReportBase): StepResult {
  const hop = located === null ? undefined : located.call.hops[located.hop];
  const invite = hop?.transactions[transactionKey('downstream', hop.downstream.inviteCseq, 'INVITE')];
  if (located === null || hop === undefined || invite === undefined || cseq.method !== 'CANCEL') {
    return unchanged(located?.call ?? null, refusalOutcome(ctx, req, sender, { status: 481, reasons: [{ code: 'dialog.unknown' }], report: base }));
  }
  const report = { ...base, call: located.call.id };
  // Only whoever sent the INVITE may cancel it (RFC 3261 9.1), whatever identifiers a CANCEL copies.
  const intruder = wrongPeer(hop.upstream, sender, { kind: 'cancel' });
  if (intruder !== null) {
    return unchanged(located.call, refusalOutcome(ctx, req, sender, { status: 403, reasons: [intruder], report }));
  }
  const down = hop.downstream;
  // RFC 3261 9.1: a CANCEL repeats the INVITE's Request-URI, Via branch, Call-ID, From, To and CSeq number.
  const forwarded = requestOnLeg(down, {
    method: 'CANCEL',
    uri: down.remoteTarget,
    via: ctx.self.via(invite.branch),
    maxForwards: DEFAULT_MAX_FORWARDS,
    routes: down.routeSet,
    cseq: down.inviteCseq,
    contact: null,
    copied: endToEndHeaders(req.headers).filter((h) => h.name === 'Reason'),
    body: '',
  });
  if (forwarded.headers.some((h) => h.name === 'To')) {
    setHeader(forwarded, 'To', down.remoteUri);
  }
  // The CANCEL changes no state: the INVITE's final response ends the hop.
  return unchanged(located.call, {
    kind: 'forward',
    to: { peerId: down.peerId, uri: down.target },
    message: forwarded,
    report: reportOf(report, { initiator: sender.label, action: 'forward', status: null, reasons: [], wouldHave: null }),
  });
}
