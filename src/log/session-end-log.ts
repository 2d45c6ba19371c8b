import type { ControllerOutcome } from '../call/controller-outcome.ts';
import type { Logger } from './logger.ts';

/**
 * The decision line of a call the guard ended itself because its session timer ran out (RFC 4028
 * 10): no message came in, so it names the call, the hops' legs it sent BYE on (peer ids only,
 * never a user) and the reason. Same shape and message as every other decision line.
 */
export function logSessionEnd(logger: Logger, outcome: ControllerOutcome): void {
  const { report } = outcome;
  logger.info(
    {
      call: report.call,
      from: report.from,
      initiator: report.initiator,
      to: (outcome.originate ?? []).map((o) => o.to.peerId ?? 'unknown'),
      message: report.message,
      action: report.action,
      status: null,
      reasons: report.reasons,
    },
    'decision',
  );
}
