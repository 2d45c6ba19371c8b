import type { ControllerOutcome } from '../call/controller-outcome.ts';
import type { Logger } from './logger.ts';

/**
 * One line per decision that matters to an operator: every dialog-creating request, every
 * rejection, every message whose verdict carries a reason, and every relayed CANCEL, BYE,
 * re-INVITE, UPDATE and REFER. Plain relays of in-dialog
 * traffic go to debug, so the log stays one line per call decision at 1,000 calls/s.
 */
/**
 * In-dialog requests that end or change someone's call, or cancel it: each relay of one is a
 * decision an operator must be able to find afterwards, even when nothing was refused.
 */
const BYPASS_RELEVANT = new Set(['CANCEL', 'BYE', 'INVITE', 'UPDATE', 'REFER']);

export function logDecision(logger: Logger, outcome: ControllerOutcome, dialogCreating: boolean): void {
  const { report } = outcome;
  const to = outcome.kind === 'drop' ? null : (outcome.to.peerId ?? outcome.to.uri);
  const fields = {
    call: report.call,
    from: report.from,
    initiator: report.initiator,
    to,
    message: report.message,
    action: report.action,
    status: outcome.kind === 'reply' ? outcome.response.status : null,
    reasons: report.reasons,
    ...(report.wouldHave === null ? {} : { monitor: report.wouldHave }),
  };
  if (report.action === 'reject' || report.reasons.length > 0 || report.wouldHave !== null) {
    logger.info(fields, 'decision');
  } else if (dialogCreating || BYPASS_RELEVANT.has(report.message)) {
    logger.info(fields, 'decision');
  } else {
    logger.debug(fields, 'relay');
  }
}
