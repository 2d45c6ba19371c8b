/**
 * INVITE client transaction (RFC 3261 17.1.1, figure 5, with RFC 6026 7.2's Accepted state):
 *
 *   Calling --1xx--> Proceeding --2xx--> Accepted --Timer M--> Terminated
 *      |                 |
 *      +---300-699-------+--> Completed (ACK sent) --Timer D--> Terminated
 *   Calling --Timer B / transport error--> Terminated
 *
 * UDP: the INVITE is retransmitted on Timer A (T1, doubling) while Calling. A 2xx is not ACKed
 * here (the ACK for 2xx is the TU's, 13.2.2.4); retransmitted 2xx while Accepted go to
 * `onRetransmitted2xx` so the TU re-sends that ACK, and 2xx from other forks (new To tag) are
 * passed up as new responses (RFC 6026 7.2).
 */
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import type { ClientTransactionUser } from './client-transaction-user.ts';
import type { TimerHandle } from './scheduler.ts';
import type { Retransmission } from './transaction-base.ts';
import type { TransactionTimers } from './timers.ts';
import { ClientTransactionBase } from './client-transaction-base.ts';
import type { TransactionContext } from './transaction-context.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { ackFor, headerValue } from './transaction-messages.ts';

export type ClientInviteState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

const MOVES: Readonly<Record<ClientInviteState, readonly ClientInviteState[]>> = {
  calling: ['proceeding', 'accepted', 'completed', 'terminated'],
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class ClientInviteTransaction extends ClientTransactionBase<ClientInviteState> {
  private timerA: Retransmission | null = null;
  private timerB: TimerHandle | null = null;
  private timerD: TimerHandle | null = null;
  private timerM: TimerHandle | null = null;
  /** To tags of the 2xx responses passed up while Accepted. */
  private readonly acceptedTags = new Set<string>();
  /** The ACK for the non-2xx final, re-sent for each retransmission of that final (17.1.1.2). */
  private ack: SipRequest | null = null;
  private ackConnection: string | null = null;

  constructor(id: string, request: SipRequest, to: Endpoint, timers: TransactionTimers, ctx: TransactionContext, user: ClientTransactionUser) {
    super(id, 'calling', MOVES, ctx, request, to, timers, user);
  }

  /** Sends the INVITE and arms Timer A (unreliable only) and Timer B (17.1.1.2). */
  start(): void {
    if (this.request !== null) {
      this.transmit(this.request, this.to, null);
    }
    if (this.timers.A !== null) {
      // Timer A: retransmit and double the interval (17.1.1.2); only while Calling.
      this.timerA = this.retransmit(this.timers.A, (interval) => interval * 2, () => this.onTimerA());
    }
    this.timerB = this.setTimer(this.timers.B, () => this.onTimerB());
  }

  stopTimers(): void {
    this.timerA?.stop();
    this.timerA = null;
    this.timerB = this.clearTimer(this.timerB);
    this.timerD = this.clearTimer(this.timerD);
    this.timerM = this.clearTimer(this.timerM);
  }

  /** A response from `source` (the layer checked it is where the INVITE went), on TCP connection `connectionId`. */
  receiveResponse(res: SipResponse, source: Endpoint, connectionId: string | null): void {
    const status = res.status;
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        // Any response ends request retransmission and Timer B (only Calling times out).
        this.timerA?.stop();
        this.timerA = null;
        this.timerB = this.clearTimer(this.timerB);
        if (status < 200) {
          if (this.state === 'calling') {
            this.transition('proceeding');
          }
          this.passProvisional(res, source);
        } else if (status < 300) {
          this.accept(res, source);
        } else {
          this.complete(res, source, connectionId);
        }
        return;
      case 'accepted': {
        // RFC 6026 7.2: 2xx are passed up; 1xx and non-2xx after a 2xx are discarded.
        if (status < 200 || status >= 300) {
          return;
        }
        const tag = (tagOf(headerValue(res, 'To')) ?? '');
        if (this.acceptedTags.has(tag)) {
          this.notify('onRetransmitted2xx', () => this.user.onRetransmitted2xx?.(res, source));
        } else {
          this.acceptedTags.add(tag);
          this.passUp(res, source);
        }
        return;
      }
      case 'completed':
        // A retransmitted final: ACK it again, do not pass it up (17.1.1.2).
        if (status >= 300 && this.ack !== null) {
          this.transmit(this.ack, this.to, this.ackConnection);
        }
        return;
      case 'terminated':
        return;
    }
  }

  /** 2xx: Accepted, Timer M (RFC 6026 7.2); the TU sends the ACK. */
  private accept(res: SipResponse, source: Endpoint): void {
    if (!this.transition('accepted')) {
      return;
    }
    this.forgetRequest();
    this.acceptedTags.add((tagOf(headerValue(res, 'To')) ?? ''));
    this.timerM = this.setTimer(this.timers.M, () => this.onTimerM());
    this.passUp(res, source);
  }

  /** 300-699: ACK (same branch, 17.1.1.3), Completed, Timer D (zero on TCP: straight to Terminated). */
  private complete(res: SipResponse, source: Endpoint, connectionId: string | null): void {
    if (!this.transition('completed') || this.request === null) {
      return;
    }
    this.ack = ackFor(this.request, res);
    this.forgetRequest();
    this.ackConnection = connectionId;
    this.transmit(this.ack, this.to, connectionId);
    if (this.timers.D === 0) {
      this.transition('terminated');
    } else {
      this.timerD = this.setTimer(this.timers.D, () => this.onTimerD());
    }
    this.passUp(res, source);
  }

  /** Timer A fired: the INVITE again while Calling; false once the state needs no more. */
  private onTimerA(): boolean {
    if (this.state !== 'calling') {
      return false;
    }
    if (this.request !== null) {
      this.transmit(this.request, this.to, null);
    }
    return true;
  }

  /** Timer B: no response at all within 64*T1: the TU is told of the timeout (17.1.1.2). */
  private onTimerB(): void {
    this.timerB = null;
    switch (this.state) {
      case 'calling':
        this.transition('terminated');
        this.ctx.timedOut('B');
        this.notify('onTimeout', () => this.user.onTimeout());
        return;
      case 'proceeding':
      case 'accepted':
      case 'completed':
      case 'terminated':
        return;
    }
  }

  private onTimerD(): void {
    this.timerD = null;
    this.endIn('completed');
  }

  private onTimerM(): void {
    this.timerM = null;
    this.endIn('accepted');
  }

  /**
   * 17.1.1.2: a transport error while Calling or Proceeding ends the transaction and is the
   * TU's to handle; once a final response was passed up (an ACK that could not be sent), the
   * TU already has its answer, so the transaction just ends.
   */
  protected transportFailed(err: Error): void {
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        this.transition('terminated');
        this.notify('onTransportError', () => this.user.onTransportError(err));
        return;
      case 'completed':
        this.ctx.report('transport-error', `ACK for ${this.id} not sent: ${err.message}`);
        this.transition('terminated');
        return;
      case 'accepted':
      case 'terminated':
        return;
    }
  }
}
