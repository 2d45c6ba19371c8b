import type { Actor } from '../policy/actor.ts';
import { admitBody, type BodyAdmission } from '../policy/body-admission.ts';
import { classifyMessageBody } from '../sip/sdp-body.ts';
import type { BodyClass } from '../sip/sip-body.ts';
import { getHeaderValues } from '../sip/sip-headers.ts';
import type { SipMessage } from '../sip/sip-message.ts';
import type { StepContext } from './step-context.ts';

const NO_BODY: BodyClass = { kind: 'none' };

/** An untrusted peer's body is admitted whole or not at all (src/policy/body-admission.ts); a trusted peer's is not inspected. */
export function admitMessageBody(ctx: StepContext, msg: SipMessage, sender: Pick<Actor, 'trusted' | 'id'>): BodyAdmission {
  return admitBody({
    body: sender.trusted ? NO_BODY : classifyMessageBody(msg),
    contentEncodings: getHeaderValues(msg, 'Content-Encoding'),
    senderTrusted: sender.trusted,
    senderLabel: sender.id,
    guard: ctx.profile.guard,
  });
}
