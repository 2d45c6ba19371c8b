/**
 * What the two client state machines (RFC 3261 17.1.1, 17.1.2) share: the request kept while it
 * may be retransmitted, its destination, the TU's callbacks, and passing responses up once each.
 */
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import type { ClientTransactionUser } from './client-transaction-user.ts';
import type { TransactionTimers } from './timers.ts';
import { TransactionBase } from './transaction-base.ts';
import type { TransactionContext } from './transaction-context.ts';
import { provisionalIdentity } from './transaction-messages.ts';

export abstract class ClientTransactionBase<S extends string> extends TransactionBase<S> {
  /** The request, kept only while it may be retransmitted; null once a final response is in. */
  protected request: SipRequest | null;
  readonly to: Endpoint;
  protected readonly timers: TransactionTimers;
  protected readonly user: ClientTransactionUser;
  /** Provisional responses already passed up (a retransmitted 1xx is absorbed). */
  private provisionals: Set<string> | null = null;

  protected constructor(
    id: string,
    initial: S,
    moves: Readonly<Record<S, readonly S[]>>,
    ctx: TransactionContext,
    request: SipRequest,
    to: Endpoint,
    timers: TransactionTimers,
    user: ClientTransactionUser,
  ) {
    super(id, initial, moves, ctx);
    this.request = request;
    this.to = to;
    this.timers = timers;
    this.user = user;
  }

  /**
   * Hands a response to the TU. Its own method on purpose: a closure made in the same scope as
   * a timer closure shares that scope's context in V8, so Timer D/K/M would keep `res` alive.
   */
  protected passUp(res: SipResponse, source: Endpoint): void {
    this.notify('onResponse', () => this.user.onResponse(res, source));
  }

  /** Passes a provisional response up once; a retransmission of it is absorbed. */
  protected passProvisional(res: SipResponse, source: Endpoint): void {
    const identity = provisionalIdentity(res);
    this.provisionals ??= new Set();
    if (this.provisionals.has(identity)) {
      return;
    }
    this.provisionals.add(identity);
    this.passUp(res, source);
  }

  /** A final response is in: the request and the provisional record are no longer needed. */
  protected forgetRequest(): void {
    this.request = null;
    this.provisionals = null;
  }
}
