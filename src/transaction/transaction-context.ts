/** What a transaction state machine needs from the layer that owns it. */
import type { SipMessage } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import type { Scheduler } from './scheduler.ts';

export interface TransactionEvent {
  readonly kind: string;
  readonly detail: string;
}

export interface TransactionContext {
  readonly scheduler: Scheduler;
  /** The transport's send: rejects on a transport error (RFC 3261 17.1.4, 17.2.4). */
  send(message: SipMessage, to: Endpoint, connectionId: string | null): Promise<void>;
  /** Reports to the layer's onError (illegal moves, late responses, errors thrown by the TU). */
  report(kind: string, detail: string): void;
  /** A timer ended the transaction without its answer (B, F: no final response; H: no ACK). */
  timedOut(timer: 'B' | 'F' | 'H'): void;
  /** Called once when a transaction reaches Terminated: the layer forgets it. */
  terminated(txn: { readonly id: string }): void;
}
