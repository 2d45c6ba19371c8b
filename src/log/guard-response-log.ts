import { cseqMethodOf } from '../sip/cseq.ts';
import { getHeader } from '../sip/sip-headers.ts';
import type { SipResponse } from '../sip/sip-message.ts';
import type { Logger } from './logger.ts';

/**
 * Why the guard answered a request itself instead of the controller or the next hop: it was
 * draining (503), the sender's queue was full (503), handling failed (500), the request it
 * forwarded was never answered (408) or could not be sent (503).
 */
export type GuardResponseCause = 'draining' | 'queue-full' | 'failure' | 'timeout' | 'unreachable';

/**
 * One audit line per response the guard makes up, with the Call-IDs a capture shows: `res` is
 * on the leg it answers; `upstream`, for a response standing for the next hop's, is what the
 * guard relays of it on the inbound leg (null when nothing goes back).
 */
export function logGuardResponse(logger: Logger, res: SipResponse, cause: GuardResponseCause, upstream?: SipResponse | null): void {
  const own = getHeader(res, 'Call-ID') ?? null;
  logger.info(
    {
      callIds: upstream === undefined ? { in: own } : { in: upstream === null ? null : (getHeader(upstream, 'Call-ID') ?? null), out: own },
      message: cseqMethodOf(res) || null,
      status: res.status,
      cause,
    },
    'guard response',
  );
}
