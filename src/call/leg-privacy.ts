/** How identities are treated on one leg: the shield's context toward the leg's peer. */
import type { Flow } from '../privacy/issued-identity.ts';
import type { ShieldContext } from '../privacy/identity-shield.ts';
import type { LegSide, LegState } from '../state/call-state.ts';
import type { CallDraft } from './call-draft.ts';
import type { StepContext } from './step-context.ts';

export function shieldContext(ctx: StepContext, call: CallDraft, leg: LegState, legSide: LegSide, dialogCreating: boolean): ShieldContext {
  const { address, addrType } = ctx.self.sdpAddress();
  return {
    peerId: leg.peerId ?? 'unknown',
    mode: leg.identity,
    pseudonymizer: ctx.pseudonymizer,
    issued: call.issued,
    dialogCreating,
    // Sent on a hop's downstream leg, a message goes toward the callee's side.
    flow: legSide === 'downstream' ? 'down' : 'up',
    passHeaders: ctx.passHeaders,
    sdpSession: { address, addrType, sessionId: legSessionId(leg.callId) },
  };
}

/** Which way a message received on a leg of `side` crosses the call: from the upstream leg it goes down. */
export function flowFrom(side: LegSide): Flow {
  return side === 'upstream' ? 'down' : 'up';
}

/**
 * The `o=` session id the guard writes toward an untrusted peer on one leg: stable for the leg
 * (RFC 8866 5.2: it names the session), derived from the guard's own Call-ID of that leg, which
 * carries nothing of the user.
 */
export function legSessionId(callId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < callId.length; i += 1) {
    hash = Math.imul(hash ^ callId.charCodeAt(i), 0x01000193) >>> 0;
  }
  return String(hash);
}
