/**
 * INVITE server transaction (RFC 3261 17.2.1, figure 7, with RFC 6026 7.1's Accepted state):
 *
 *   Proceeding --300-699 from TU--> Completed --ACK--> Confirmed --Timer I--> Terminated
 *   Proceeding --2xx from TU--> Accepted --Timer L--> Terminated
 *   Completed --Timer H / transport error--> Terminated
 *
 * `100 Trying` goes out when the transaction starts. A retransmitted INVITE gets the last
 * response again (Proceeding, Completed) or is absorbed (Accepted, Confirmed). UDP: the non-2xx
 * final is retransmitted on Timer G (T1 doubling to T2) until the ACK; the 2xx, which RFC 3261
 * 13.3.1.4 leaves to the UAS core, is retransmitted here on the same schedule until the layer
 * matches its ACK (`acknowledge2xx`) or Timer L fires.
 */
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import type { TimerHandle } from './scheduler.ts';
import type { Retransmission } from './transaction-base.ts';
import type { ServerTransaction } from './server-transaction.ts';
import type { TransactionTimers } from './timers.ts';
import { ServerTransactionBase } from './server-transaction-base.ts';
import type { TransactionContext } from './transaction-context.ts';
import { tryingFor } from './transaction-messages.ts';
import type { TransactionUser } from './transaction-user.ts';

export type ServerInviteState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

const MOVES: Readonly<Record<ServerInviteState, readonly ServerInviteState[]>> = {
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
};

export class ServerInviteTransaction extends ServerTransactionBase<ServerInviteState> implements ServerTransaction {
  private readonly user: TransactionUser;
  /** Called for each 2xx sent, so the layer can match its ACK by dialog (13.2.2.4). */
  private readonly onAccepted: (txn: ServerInviteTransaction, res: SipResponse) => void;
  private timerG: Retransmission | null = null;
  private timerH: TimerHandle | null = null;
  private timerI: TimerHandle | null = null;
  private timerL: TimerHandle | null = null;
  /** 2xx retransmission (13.3.1.4); the RFC gives this timer no letter. */
  private timer2xx: Retransmission | null = null;
  private acked = false;
  /** Keys under which the layer registered this transaction for 2xx-ACK matching. */
  readonly dialogKeys: string[] = [];

  constructor(
    id: string,
    request: SipRequest,
    source: Endpoint,
    connectionId: string | null,
    timers: TransactionTimers,
    ctx: TransactionContext,
    user: TransactionUser,
    onAccepted: (txn: ServerInviteTransaction, res: SipResponse) => void,
  ) {
    super(id, 'proceeding', MOVES, ctx, request, source, connectionId, timers);
    this.user = user;
    this.onAccepted = onAccepted;
  }

  /** 17.2.1: the transaction answers `100 Trying` itself so the client stops retransmitting. */
  start(): void {
    this.respond(tryingFor(this.request));
  }

  stopTimers(): void {
    this.timerG?.stop();
    this.timerG = null;
    this.timerH = this.clearTimer(this.timerH);
    this.timerI = this.clearTimer(this.timerI);
    this.timerL = this.clearTimer(this.timerL);
    this.timer2xx?.stop();
    this.timer2xx = null;
  }

  respond(res: SipResponse): void {
    const status = res.status;
    if (!Number.isInteger(status) || status < 100 || status > 699) {
      this.ctx.report('bad-response', `status ${String(status)} refused (${this.id})`);
      return;
    }
    switch (this.state) {
      case 'proceeding':
        if (status < 200) {
          this.send(res);
        } else if (status < 300) {
          this.accept(res);
        } else {
          this.reject(res);
        }
        return;
      case 'accepted':
        // RFC 6026 7.1: further 2xx from the TU (its own retransmissions, other to-tags) go out.
        if (status >= 200 && status < 300) {
          if (this.send(res)) {
            this.onAccepted(this, this.last ?? res);
          }
          return;
        }
        break;
      case 'completed':
      case 'confirmed':
      case 'terminated':
        break;
    }
    this.ctx.report('late-response', `${status} refused: INVITE transaction ${this.id} is ${this.state}`);
  }

  /** A retransmission of the INVITE (17.2.1). */
  receiveRequest(): void {
    switch (this.state) {
      case 'proceeding':
      case 'completed':
        this.resend();
        return;
      case 'accepted': // RFC 6026 7.1: absorbed, the 2xx has its own retransmission timer
      case 'confirmed':
      case 'terminated':
        return;
    }
  }

  /** An ACK matching this transaction by branch: for a non-2xx final, it ends retransmission (17.2.1). */
  receiveAck(): void {
    switch (this.state) {
      case 'completed':
        this.timerG?.stop();
        this.timerG = null;
        this.timerH = this.clearTimer(this.timerH);
        if (!this.transition('confirmed')) {
          return;
        }
        if (this.timers.I === 0) {
          this.transition('terminated');
        } else {
          this.timerI = this.setTimer(this.timers.I, () => this.onTimerI());
        }
        return;
      case 'accepted':
        this.acknowledge2xx();
        return;
      case 'proceeding': // no final sent yet: nothing to acknowledge
      case 'confirmed': // ACK retransmission: absorbed
      case 'terminated':
        return;
    }
  }

  /** The ACK for the 2xx arrived (matched by dialog): stop retransmitting the 2xx; stay Accepted until L. */
  acknowledge2xx(): void {
    switch (this.state) {
      case 'accepted':
        this.acked = true;
        this.timer2xx?.stop();
        this.timer2xx = null;
        // Nothing is re-sent from here on (retransmitted INVITEs are absorbed): free the 2xx.
        this.forgetLast();
        return;
      case 'proceeding':
      case 'completed':
      case 'confirmed':
      case 'terminated':
        return;
    }
  }

  /** 2xx: Accepted with Timer L (RFC 6026 7.1), and 2xx retransmission on UDP (13.3.1.4). */
  private accept(res: SipResponse): void {
    if (!this.send(res) || !this.transition('accepted')) {
      return;
    }
    this.timerL = this.setTimer(this.timers.L, () => this.onTimerL());
    if (this.timers.ok2xx !== null) {
      const T2 = this.timers.T2;
      this.timer2xx = this.retransmit(this.timers.ok2xx, (interval) => Math.min(interval * 2, T2), () => this.onTimer2xx());
    }
    this.onAccepted(this, this.last ?? res);
    this.compact();
  }

  /** 300-699: Completed with Timer G (UDP) and Timer H (17.2.1). */
  private reject(res: SipResponse): void {
    if (!this.send(res) || !this.transition('completed')) {
      return;
    }
    this.compact();
    if (this.timers.G !== null) {
      const T2 = this.timers.T2;
      this.timerG = this.retransmit(this.timers.G, (interval) => Math.min(interval * 2, T2), () => this.onTimerG());
    }
    this.timerH = this.setTimer(this.timers.H, () => this.onTimerH());
  }

  /** Timer G fired: the final again while Completed (next interval min(2G, T2), 17.2.1); false once it is not. */
  private onTimerG(): boolean {
    if (this.state !== 'completed') {
      return false;
    }
    this.resend();
    return true;
  }


  /** Timer H: the ACK never came (17.2.1: "inform the TU that a failure has occurred"). */
  private onTimerH(): void {
    this.timerH = null;
    switch (this.state) {
      case 'completed':
        this.transition('terminated');
        this.ctx.timedOut('H');
        this.ctx.report('ack-timeout', `no ACK for ${this.last?.status ?? '?'} in ${this.id} (Timer H)`);
        return;
      case 'proceeding':
      case 'confirmed':
      case 'accepted':
      case 'terminated':
        return;
    }
  }

  private onTimerI(): void {
    this.timerI = null;
    this.endIn('confirmed');
  }

  /** Timer L: leave Accepted; a 2xx never ACKed is reported to the TU (13.3.1.4, RFC 6026 7.1). */
  private onTimerL(): void {
    this.timerL = null;
    switch (this.state) {
      case 'accepted':
        this.transition('terminated');
        if (!this.acked) {
          this.notify('onAckTimeout', () => this.user.onAckTimeout?.(this));
        }
        return;
      case 'proceeding':
      case 'completed':
      case 'confirmed':
      case 'terminated':
        return;
    }
  }

  /** 2xx retransmission fired: the 2xx again until the ACK (T1 doubling to T2, 13.3.1.4); false once it is not wanted. */
  private onTimer2xx(): boolean {
    if (this.state !== 'accepted' || this.acked) {
      return false;
    }
    this.resend();
    return true;
  }


  /** 17.2.4: the response could not be sent (even to the 18.2.2 fallback address): the transaction ends. */
  protected transportFailed(err: Error): void {
    this.ctx.report('transport-error', `response in ${this.id} not sent: ${err.message}`);
    switch (this.state) {
      case 'proceeding':
      case 'completed':
      case 'confirmed':
      case 'accepted':
        this.transition('terminated');
        return;
      case 'terminated':
        return;
    }
  }
}
