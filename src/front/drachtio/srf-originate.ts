/**
 * The requests the guard makes itself (controller-outcome.ts), sent through drachtio-srf:
 *
 * - the ACK of a fork's 2xx goes with the ACK function drachtio-srf gave with that 2xx:
 *   drachtio-server sends the ACK of a 2xx only so (an application's ACK outside it is dropped);
 * - a BYE goes inside drachtio-server's dialog of that leg or fork while it has one (its route
 *   set and CSeq, and drachtio-server then drops the dialog), else outside any dialog with the
 *   controller's identifiers, as any request the front end sends.
 *
 * Their responses end here: nobody waits for them.
 */
import type { OriginatedRequest } from '../../call/controller-outcome.ts';
import type { Logger } from '../../log/logger.ts';
import type { SipRequest } from '../../sip/sip-message.ts';
import type { DialogBook } from './dialog-book.ts';
import type { SrfAck, SrfApp, SrfSentRequest } from './srf-port.ts';
import { ackOptions, dialogRequest, legIds, standaloneRequest, type SrfRequestSpec } from './srf-wire.ts';

export interface OriginateDeps {
  readonly srf: SrfApp;
  readonly book: DialogBook<SrfAck, SrfSentRequest>;
  readonly hostports: readonly string[];
  readonly logger: Logger;
}

export function originateOnSrf(deps: OriginateDeps, { to, request }: OriginatedRequest): void {
  const ids = legIds(request);
  const fork = deps.book.forkOf(ids.callId, ids.fromTag, ids.toTag);
  if (request.method === 'ACK') {
    if (fork === undefined) {
      deps.logger.debug({ callId: ids.callId }, 'guard ACK for no 2xx drachtio-server holds');
      return;
    }
    fork.ack(ackOptions(request), (err) => {
      if (err !== null && err !== undefined) {
        deps.logger.warn({ err }, 'guard ACK not sent');
      }
    });
    return;
  }
  const dialogId = fork !== undefined ? fork.dialogId : deps.book.dialogOf(ids.callId, ids.fromTag);
  send(deps, request, to.uri, dialogId, fork !== undefined);
}

function send(deps: OriginateDeps, request: SipRequest, destination: string, dialogId: string | undefined, toFork: boolean): void {
  const ids = legIds(request);
  const spec: SrfRequestSpec = dialogId === undefined ? standaloneRequest(request, destination, deps.hostports) : dialogRequest(request, dialogId);
  deps.srf.request(spec.uri, spec.opts, (err, sent) => {
    if ((err !== null && err !== undefined) || sent === undefined) {
      if (dialogId !== undefined && (err as { code?: string } | null)?.code === 'ENODIALOG') {
        // drachtio-server no longer has the dialog: send it with the controller's own identifiers.
        send(deps, request, destination, undefined, toFork);
        return;
      }
      deps.logger.warn({ err, method: request.method, to: destination }, 'drachtio-server did not send the guard request');
      return;
    }
    sent.on('response', (res) => {
      if (res.status < 200 || request.method !== 'BYE') {
        return;
      }
      if (toFork) {
        deps.book.forgetFork(ids.callId, ids.fromTag, ids.toTag);
      } else {
        deps.book.forgetDialog(ids.callId, ids.fromTag);
      }
    });
  });
}
