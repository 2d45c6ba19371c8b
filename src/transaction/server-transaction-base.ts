/**
 * What the two server state machines (RFC 3261 17.2.1, 17.2.2) share: the request and where it
 * came from, and the last response, re-sent for retransmitted requests and by the retransmission
 * timers.
 */
import type { SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import { responseDestination } from '../transport/response-destination.ts';
import type { TransactionTimers } from './timers.ts';
import { TransactionBase } from './transaction-base.ts';
import type { TransactionContext } from './transaction-context.ts';
import { compactRequest, snapshot } from './transaction-messages.ts';

export abstract class ServerTransactionBase<S extends string> extends TransactionBase<S> {
  /** The request; reduced to its identifying lines once a final response is out (see compactRequest). */
  request: SipRequest;
  readonly source: Endpoint;
  readonly connectionId: string | null;
  protected readonly timers: TransactionTimers;
  /** The last response sent and where it went. */
  protected last: SipResponse | null = null;
  private lastTo: Endpoint | null = null;

  protected constructor(
    id: string,
    initial: S,
    moves: Readonly<Record<S, readonly S[]>>,
    ctx: TransactionContext,
    request: SipRequest,
    source: Endpoint,
    connectionId: string | null,
    timers: TransactionTimers,
  ) {
    super(id, initial, moves, ctx);
    this.request = request;
    this.source = source;
    this.connectionId = connectionId;
    this.timers = timers;
  }

  /** Sends `res` to the 18.2.2 destination on the request's connection; false when it has no usable Via. */
  protected send(res: SipResponse): boolean {
    let to: Endpoint;
    try {
      to = responseDestination(res, this.source.transport);
    } catch (err) {
      this.ctx.report('bad-response', `${res.status} not sent (${this.id}): ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    this.last = snapshot(res);
    this.lastTo = to;
    this.transmit(this.last, to, this.connectionId);
    return true;
  }

  /** Sends the last response again (a retransmitted request, Timer G, the 2xx timer). */
  protected resend(): void {
    if (this.last !== null && this.lastTo !== null) {
      this.transmit(this.last, this.lastTo, this.connectionId);
    }
  }

  /** Nothing will be re-sent any more (the 2xx was ACKed): let the response go. */
  protected forgetLast(): void {
    this.last = null;
    this.lastTo = null;
  }

  /** The final response is out: keep only the request's identifying lines. */
  protected compact(): void {
    this.request = compactRequest(this.request);
  }
}
