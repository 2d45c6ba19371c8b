/**
 * Non-INVITE server transaction (RFC 3261 17.2.2, figure 8):
 *
 *   Trying --1xx from TU--> Proceeding --200-699 from TU--> Completed --Timer J--> Terminated
 *   Trying --200-699 from TU--> Completed
 *   any --transport error--> Terminated
 *
 * A retransmitted request is absorbed while Trying and gets the last response again in
 * Proceeding and Completed. Timer J (64*T1 on UDP, zero on TCP) keeps the final around for
 * those retransmissions. CANCEL is served by this machine, keyed apart from its INVITE (17.2.3).
 */
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import type { TimerHandle } from './scheduler.ts';
import type { ServerTransaction } from './server-transaction.ts';
import type { TransactionTimers } from './timers.ts';
import { ServerTransactionBase } from './server-transaction-base.ts';
import type { TransactionContext } from './transaction-context.ts';

export type ServerNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const MOVES: Readonly<Record<ServerNonInviteState, readonly ServerNonInviteState[]>> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class ServerNonInviteTransaction extends ServerTransactionBase<ServerNonInviteState> implements ServerTransaction {
  private timerJ: TimerHandle | null = null;

  constructor(id: string, request: SipRequest, source: Endpoint, connectionId: string | null, timers: TransactionTimers, ctx: TransactionContext) {
    super(id, 'trying', MOVES, ctx, request, source, connectionId, timers);
  }

  stopTimers(): void {
    this.timerJ = this.clearTimer(this.timerJ);
  }

  respond(res: SipResponse): void {
    const status = res.status;
    if (!Number.isInteger(status) || status < 100 || status > 699) {
      this.ctx.report('bad-response', `status ${String(status)} refused (${this.id})`);
      return;
    }
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (!this.send(res)) {
          return;
        }
        if (status < 200) {
          if (this.state === 'trying') {
            this.transition('proceeding');
          }
          return;
        }
        if (!this.transition('completed')) {
          return;
        }
        this.compact();
        if (this.timers.J === 0) {
          this.transition('terminated');
        } else {
          this.timerJ = this.setTimer(this.timers.J, () => this.onTimerJ());
        }
        return;
      case 'completed':
      case 'terminated':
        // 17.2.2: once a final is sent, "any other final responses passed by the TU ... MUST be discarded".
        this.ctx.report('late-response', `${status} refused: ${this.request.method} transaction ${this.id} is ${this.state}`);
        return;
    }
  }

  /** A retransmission of the request (17.2.2). */
  receiveRequest(): void {
    switch (this.state) {
      case 'trying':
        return; // absorbed: the TU has not answered yet
      case 'proceeding':
      case 'completed':
        this.resend();
        return;
      case 'terminated':
        return;
    }
  }

  private onTimerJ(): void {
    this.timerJ = null;
    this.endIn('completed');
  }

  protected transportFailed(err: Error): void {
    this.ctx.report('transport-error', `response in ${this.id} not sent: ${err.message}`);
    switch (this.state) {
      case 'trying':
      case 'proceeding':
      case 'completed':
        this.transition('terminated');
        return;
      case 'terminated':
        return;
    }
  }
}
