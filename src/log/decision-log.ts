import type { ControllerOutcome } from '../call/controller-outcome.ts';
import { getHeader } from '../sip/sip-headers.ts';
import type { SipMessage } from '../sip/sip-message.ts';
import { parseUri } from '../sip/sip-uri.ts';
import type { AuditIdentities } from './audit-identities.ts';
import type { Logger } from './logger.ts';

/**
 * The audit trail: one line per decision that matters to an operator — every dialog-creating
 * request, every rejection, every message whose verdict carries a reason, and every relayed
 * CANCEL, BYE, re-INVITE, UPDATE and REFER (each ends or changes someone's call, so it must be
 * findable afterwards even when nothing was refused). Plain relays of in-dialog traffic go to
 * debug, so the log stays one line per call decision at 1,000 calls/s.
 */
const BYPASS_RELEVANT = new Set(['CANCEL', 'BYE', 'INVITE', 'UPDATE', 'REFER']);

/** What the decision was about: the message as it came in, and who sent it. */
export interface DecidedMessage {
  readonly inbound: SipMessage;
  readonly dialogCreating: boolean;
}

/**
 * Where a message went that no peer has: the host and port of its URI, never the URI itself,
 * whose user part can be a served user (`sip:+15551234@...`).
 */
function addressOf(uri: string): string {
  const parsed = parseUri(uri);
  if (parsed === null || parsed.host === '') {
    return 'unknown';
  }
  return parsed.port === null ? parsed.host : `${parsed.host}:${parsed.port}`;
}

export function logDecision(logger: Logger, outcome: ControllerOutcome, decided: DecidedMessage, identities: AuditIdentities): void {
  const { report } = outcome;
  const relevant = report.action === 'reject' || report.reasons.length > 0 || report.wouldHave !== null;
  const level = relevant || decided.dialogCreating || BYPASS_RELEVANT.has(report.message) ? 'info' : 'debug';
  if (!logger.isLevelEnabled(level)) {
    return;
  }
  const to = outcome.kind === 'drop' ? null : (outcome.to.peerId ?? addressOf(outcome.to.uri));
  const inCallId = getHeader(decided.inbound, 'Call-ID') ?? null;
  const fields = {
    call: report.call,
    // Both legs' Call-IDs, so a capture (sngrep, Homer) of either side finds this line.
    callIds: { in: inCallId, out: outcome.kind === 'forward' ? (getHeader(outcome.message, 'Call-ID') ?? null) : inCallId },
    from: report.from,
    initiator: report.initiator,
    to,
    message: report.message,
    action: report.action,
    status: outcome.kind === 'reply' ? outcome.response.status : null,
    reasons: report.reasons,
    users: identities.usersOf(decided.inbound, report.from, outcome),
    ...(report.wouldHave === null ? {} : { monitor: report.wouldHave }),
  };
  if (level === 'info') {
    logger.info(fields, 'decision');
  } else {
    logger.debug(fields, 'relay');
  }
}
