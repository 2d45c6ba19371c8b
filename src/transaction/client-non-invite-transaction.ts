/**
 * Non-INVITE client transaction (RFC 3261 17.1.2, figure 6):
 *
 *   Trying --1xx--> Proceeding --200-699--> Completed --Timer K--> Terminated
 *   Trying --200-699--> Completed
 *   Trying / Proceeding --Timer F / transport error--> Terminated
 *
 * UDP: the request is retransmitted on Timer E: T1 doubling up to T2 while Trying, every T2
 * while Proceeding (17.1.2.2). CANCEL uses this machine too (9.1), keyed apart from its INVITE
 * by method (17.1.3).
 */
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import type { ClientTransactionUser } from './client-transaction-user.ts';
import type { TimerHandle } from './scheduler.ts';
import type { Retransmission } from './transaction-base.ts';
import type { TransactionTimers } from './timers.ts';
import { ClientTransactionBase } from './client-transaction-base.ts';
import type { TransactionContext } from './transaction-context.ts';

export type ClientNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const MOVES: Readonly<Record<ClientNonInviteState, readonly ClientNonInviteState[]>> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class ClientNonInviteTransaction extends ClientTransactionBase<ClientNonInviteState> {
  private timerE: Retransmission | null = null;
  private timerF: TimerHandle | null = null;
  private timerK: TimerHandle | null = null;

  constructor(id: string, request: SipRequest, to: Endpoint, timers: TransactionTimers, ctx: TransactionContext, user: ClientTransactionUser) {
    super(id, 'trying', MOVES, ctx, request, to, timers, user);
  }

  /** Sends the request and arms Timer E (unreliable only) and Timer F (17.1.2.2). */
  start(): void {
    if (this.request !== null) {
      this.transmit(this.request, this.to, null);
    }
    if (this.timers.E !== null) {
      // Timer E: next interval min(2E, T2) while Trying, T2 while Proceeding (17.1.2.2).
      const T2 = this.timers.T2;
      this.timerE = this.retransmit(this.timers.E, (interval) => (this.state === 'proceeding' ? T2 : Math.min(interval * 2, T2)), () => this.onTimerE());
    }
    this.timerF = this.setTimer(this.timers.F, () => this.onTimerF());
  }

  stopTimers(): void {
    this.timerE?.stop();
    this.timerE = null;
    this.timerF = this.clearTimer(this.timerF);
    this.timerK = this.clearTimer(this.timerK);
  }

  /** A response from `source` (the layer checked it is where the request went). */
  receiveResponse(res: SipResponse, source: Endpoint): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (res.status < 200) {
          if (this.state === 'trying') {
            this.transition('proceeding');
          }
          this.passProvisional(res, source);
        } else {
          this.complete(res, source);
        }
        return;
      case 'completed':
      case 'terminated':
        // Retransmitted finals are absorbed (17.1.2.2).
        return;
    }
  }

  /** Final response: Completed, Timer K (zero on TCP: straight to Terminated). */
  private complete(res: SipResponse, source: Endpoint): void {
    if (!this.transition('completed')) {
      return;
    }
    this.timerE?.stop();
    this.timerE = null;
    this.timerF = this.clearTimer(this.timerF);
    this.forgetRequest();
    if (this.timers.K === 0) {
      this.transition('terminated');
    } else {
      this.timerK = this.setTimer(this.timers.K, () => this.onTimerK());
    }
    this.passUp(res, source);
  }

  /** Timer E fired: the request again while Trying or Proceeding; false once the state needs no more. */
  private onTimerE(): boolean {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      return false;
    }
    if (this.request !== null) {
      this.transmit(this.request, this.to, null);
    }
    return true;
  }

  /** Timer F: no final response within 64*T1 (17.1.2.2). */
  private onTimerF(): void {
    this.timerF = null;
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        this.transition('terminated');
        this.ctx.timedOut('F');
        this.notify('onTimeout', () => this.user.onTimeout());
        return;
      case 'completed':
      case 'terminated':
        return;
    }
  }

  private onTimerK(): void {
    this.timerK = null;
    this.endIn('completed');
  }

  protected transportFailed(err: Error): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        this.transition('terminated');
        this.notify('onTransportError', () => this.user.onTransportError(err));
        return;
      case 'completed':
      case 'terminated':
        return;
    }
  }
}
