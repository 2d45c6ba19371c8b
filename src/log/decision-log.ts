import type { ControllerOutcome } from '../call/controller-outcome.ts';
import type { Logger } from './logger.ts';

/**
 * One line per decision that matters to an operator: every dialog-creating request, every
 * rejection, and every message whose verdict carries a reason. Plain relays of in-dialog
 * traffic go to debug, so the log stays one line per call decision at 1,000 calls/s.
 */
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
  } else if (dialogCreating) {
    logger.info(fields, 'decision');
  } else {
    logger.debug(fields, 'relay');
  }
}
