/**
 * The RFC 3261 section 17 transaction layer of the embedded front end: matches every inbound
 * message to its transaction (17.1.3, 17.2.3) in O(1) Map lookups, runs the four state machines
 * on an injected Scheduler, and hands the TU only what it must see: new requests, ACKs for 2xx,
 * and one copy of each response.
 */
import { parseCSeq } from '../sip/cseq.ts';
import type { SipMessage, SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { Endpoint } from '../transport/endpoint.ts';
import { addressKey, endpointKey, isIpLiteral } from '../transport/endpoint.ts';
import type { InboundMessage, SipTransport } from '../transport/sip-transport.ts';
import { readTopVia } from '../transport/top-via.ts';
import { ClientInviteTransaction } from './client-invite-transaction.ts';
import { ClientNonInviteTransaction } from './client-non-invite-transaction.ts';
import type { ClientTransactionUser } from './client-transaction-user.ts';
import { realScheduler } from './scheduler.ts';
import type { Scheduler } from './scheduler.ts';
import { ServerInviteTransaction } from './server-invite-transaction.ts';
import { ServerNonInviteTransaction } from './server-non-invite-transaction.ts';
import type { ServerTransaction } from './server-transaction.ts';
import { timerTable } from './timers.ts';
import type { TimerTable } from './timers.ts';
import type { TransactionContext, TransactionEvent } from './transaction-context.ts';
import { clientKey, dialogAckKey, rfc3261Branch, serverKey } from './transaction-key.ts';
import { tagOf } from '../sip/dialog-tags.ts';
import { headerValue, snapshot } from './transaction-messages.ts';
import type { TransactionUser } from './transaction-user.ts';

export type { ClientTransactionUser } from './client-transaction-user.ts';
export type { ServerTransaction } from './server-transaction.ts';
export type { TransactionUser } from './transaction-user.ts';

export interface TransactionLayerOptions {
  readonly scheduler?: Scheduler;
  readonly timers?: Partial<{ T1: number; T2: number; T4: number }>;
  /**
   * What the layer absorbed instead of throwing. Kinds: `illegal-transition`, `late-response`
   * (a response the transaction's state refuses), `bad-response` (no usable Via or status),
   * `transport-error` (a response, an ACK or a stateless message not sent), `ack-timeout`
   * (Timer H), `tu-error` (a TU callback threw), `wrong-source-response` (a response matching a
   * client transaction by branch but not from where its request went; given to onStrayResponse
   * instead), `internal-error`.
   */
  readonly onError?: (event: { kind: string; detail: string }) => void;
  /** Each transaction a timer ended (Timer B, F or H), for the metrics. */
  readonly onTimeout?: (timer: 'B' | 'F' | 'H') => void;
}

type ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction;
type AnyServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class TransactionLayer {
  private readonly transport: SipTransport;
  private readonly user: TransactionUser;
  private readonly onError: ((event: TransactionEvent) => void) | undefined;
  private readonly timers: TimerTable;
  private readonly ctx: TransactionContext;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, AnyServerTransaction>();
  /** INVITE server transactions that sent a 2xx, by dialogAckKey, for matching the 2xx's ACK. */
  private readonly accepted = new Map<string, ServerInviteTransaction>();
  private closed = false;

  constructor(transport: SipTransport, user: TransactionUser, options: TransactionLayerOptions = {}) {
    this.transport = transport;
    this.user = user;
    this.onError = options.onError;
    this.timers = timerTable(options.timers);
    this.ctx = {
      scheduler: options.scheduler ?? realScheduler,
      send: (message, to, connectionId) => this.transport.send(message, to, connectionId),
      report: (kind, detail) => this.report(kind, detail),
      timedOut: (timer) => options.onTimeout?.(timer),
      terminated: (txn) => this.forget(txn),
    };
    transport.onMessage((inbound) => this.receive(inbound));
  }

  /** Number of live transactions (for graceful shutdown: wait until 0). */
  get size(): number {
    return this.clients.size + this.servers.size;
  }

  /**
   * Sends a request in a new client transaction. The top Via must carry a z9hG4bK branch
   * (the TU sets it, 8.1.1.7) unique among live client transactions; CANCEL reuses its INVITE's
   * branch (9.1) and gets its own non-INVITE transaction. Throws TypeError for an ACK (use
   * `sendStateless`), a missing or pre-3261 branch, a CSeq that does not match the method, or a
   * duplicate branch: those are TU bugs. Transport failures arrive at `user.onTransportError`.
   */
  request(req: SipRequest, to: Endpoint, user: ClientTransactionUser): void {
    if (this.closed) {
      throw new Error('transaction layer is closed');
    }
    if (req.method === 'ACK') {
      throw new TypeError('ACK is not sent in a client transaction: use sendStateless (RFC 3261 17.1.1.3)');
    }
    const branch = rfc3261Branch(readTopVia(req).via);
    if (branch === null) {
      throw new TypeError('the top Via of a request needs a branch starting with z9hG4bK (RFC 3261 8.1.1.7)');
    }
    const cseq = parseCSeq(headerValue(req, 'CSeq') ?? '');
    if (cseq.method !== req.method) {
      throw new TypeError(`CSeq method ${cseq.method} does not match request method ${req.method}`);
    }
    const key = clientKey(branch, req.method);
    if (this.clients.has(key)) {
      throw new TypeError(`a ${req.method} client transaction with branch ${branch} is already running`);
    }
    const timers = to.transport === 'udp' ? this.timers.udp : this.timers.tcp;
    const request = snapshot(req);
    const txn =
      req.method === 'INVITE'
        ? new ClientInviteTransaction(key, request, to, timers, this.ctx, user)
        : new ClientNonInviteTransaction(key, request, to, timers, this.ctx, user);
    this.clients.set(key, txn);
    txn.start();
  }

  /** ACK for a 2xx, or any message sent outside a transaction; failures are reported to onError. */
  sendStateless(message: SipMessage, to: Endpoint, connectionId: string | null = null): void {
    let sending: Promise<void>;
    try {
      sending = this.transport.send(message, to, connectionId);
    } catch (err) {
      this.report('transport-error', `stateless send: ${describe(err)}`);
      return;
    }
    sending.catch((err: unknown) => this.report('transport-error', `stateless send to ${to.address}:${to.port}: ${describe(err)}`));
  }

  /**
   * The INVITE server transaction a CANCEL refers to (RFC 3261 9.2: same key as the INVITE's
   * but for the method), or null when there is none (the CANCEL is then answered 481).
   * `source` is where the CANCEL came from (its own transaction's `source`): only a CANCEL from
   * the INVITE's own transport source finds it, so a peer that copied another peer's branch and
   * sent-by cannot cancel that peer's INVITE (see serverKey).
   */
  findInvite(cancel: SipRequest, source: Endpoint): ServerTransaction | null {
    try {
      const key = serverKey(cancel, readTopVia(cancel).via, parseCSeq(headerValue(cancel, 'CSeq') ?? ''), source, 'INVITE');
      const txn = this.servers.get(key);
      return txn instanceof ServerInviteTransaction ? txn : null;
    } catch {
      return null;
    }
  }

  /** Stops all timers and forgets every transaction (shutdown, tests); inbound messages are ignored afterwards. */
  close(): void {
    this.closed = true;
    for (const txn of this.clients.values()) {
      txn.stopTimers();
    }
    for (const txn of this.servers.values()) {
      txn.stopTimers();
    }
    this.clients.clear();
    this.servers.clear();
    this.accepted.clear();
  }

  private report(kind: string, detail: string): void {
    if (this.onError === undefined) {
      return;
    }
    try {
      this.onError({ kind, detail });
    } catch {
      // a failing logger must not break the layer
    }
  }

  private notify(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report('tu-error', `${what}: ${describe(err)}`);
    }
  }

  private forget(txn: { readonly id: string }): void {
    if (this.clients.get(txn.id) === txn) {
      this.clients.delete(txn.id);
      return;
    }
    if (this.servers.get(txn.id) === txn) {
      this.servers.delete(txn.id);
    }
    if (txn instanceof ServerInviteTransaction) {
      for (const key of txn.dialogKeys) {
        if (this.accepted.get(key) === txn) {
          this.accepted.delete(key);
        }
      }
    }
  }

  private receive(inbound: InboundMessage): void {
    if (this.closed) {
      return;
    }
    try {
      const message = inbound.message;
      if (message.kind === 'request') {
        this.receiveRequest(message, inbound);
      } else {
        this.receiveResponse(message, inbound);
      }
    } catch (err) {
      // The transport parsed the message, so this is a bug here; the next message must still work.
      this.report('internal-error', `inbound ${inbound.message.kind}: ${describe(err)}`);
    }
  }

  /**
   * 17.1.3: top Via branch + CSeq method, and (not in 17.1.3) from where the request went; no
   * match is a stray for the TU (e.g. a 2xx after Timer M). The branch is in every copy of the
   * request, so without the source check anyone who saw one could answer it (a forged 486 ending
   * a call, a forged 200 with their own SDP).
   */
  private receiveResponse(res: SipResponse, inbound: InboundMessage): void {
    const branch = rfc3261Branch(readTopVia(res).via);
    const cseq = parseCSeq(headerValue(res, 'CSeq') ?? '');
    const txn = branch === null ? undefined : this.clients.get(clientKey(branch, cseq.method));
    if (txn !== undefined && !fromDestination(txn.to, inbound.source)) {
      this.report(
        'wrong-source-response',
        `${res.status} ${cseq.method} (branch ${branch ?? ''}) came from ${endpointKey(inbound.source)}, the request went to ${endpointKey(txn.to)}`,
      );
    } else if (txn instanceof ClientInviteTransaction) {
      txn.receiveResponse(res, inbound.source, inbound.connectionId);
      return;
    } else if (txn !== undefined) {
      txn.receiveResponse(res, inbound.source);
      return;
    }
    this.notify('onStrayResponse', () => this.user.onStrayResponse?.(res, inbound.source));
  }

  /** 17.2.3: a retransmission goes to its transaction; a new request gets one and reaches the TU. */
  private receiveRequest(req: SipRequest, inbound: InboundMessage): void {
    const via = readTopVia(req).via;
    const cseq = parseCSeq(headerValue(req, 'CSeq') ?? '');
    const key = serverKey(req, via, cseq, inbound.source);
    if (req.method === 'ACK') {
      this.receiveAck(req, key, cseq.seq, inbound);
      return;
    }
    const existing = this.servers.get(key);
    if (existing !== undefined) {
      existing.receiveRequest();
      return;
    }
    const timers = inbound.source.transport === 'udp' ? this.timers.udp : this.timers.tcp;
    let txn: AnyServerTransaction;
    if (req.method === 'INVITE') {
      const invite = new ServerInviteTransaction(key, req, inbound.source, inbound.connectionId, timers, this.ctx, this.user, this.acceptedHook);
      this.servers.set(key, invite);
      invite.start();
      txn = invite;
    } else {
      txn = new ServerNonInviteTransaction(key, req, inbound.source, inbound.connectionId, timers, this.ctx);
      this.servers.set(key, txn);
    }
    if (!txn.terminated) {
      this.notify(`onRequest ${req.method}`, () => this.user.onRequest(req, txn));
    }
  }

  /**
   * An ACK: with the branch of an INVITE transaction that sent a non-2xx final it is that
   * transaction's (17.2.1) and stops there; otherwise it acknowledges a 2xx (13.2.2.4): the
   * Accepted transaction it matches by dialog stops retransmitting, and the TU gets the ACK.
   * Both matches include the source (serverKey: the INVITE's transport source; dialogAckKey: its
   * address), so an ACK copying another peer's identifiers touches none of that peer's
   * transactions; it still reaches the TU, which judges ACKs by their source like any request.
   */
  private receiveAck(ack: SipRequest, key: string, cseqSeq: number, inbound: InboundMessage): void {
    const byBranch = this.servers.get(key);
    if (byBranch instanceof ServerInviteTransaction && byBranch.state !== 'accepted') {
      byBranch.receiveAck();
      return;
    }
    if (byBranch instanceof ServerInviteTransaction) {
      // A 2xx ACK that reused the INVITE's branch (RFC 2543 clients do): still end-to-end.
      byBranch.acknowledge2xx();
    } else if (this.accepted.size > 0) {
      const dialog = this.accepted.get(
        dialogAckKey(headerValue(ack, 'Call-ID') ?? '', cseqSeq, (tagOf(headerValue(ack, 'From')) ?? ''), (tagOf(headerValue(ack, 'To')) ?? ''), inbound.source.address),
      );
      dialog?.acknowledge2xx();
    }
    this.notify('onAck', () => this.user.onAck(ack, inbound.source));
  }

  /** Each 2xx sent by an INVITE server transaction: remember it under the dialog its ACK will name. */
  /**
   * Made once, not per request: an arrow created in receiveRequest would share that scope's V8
   * context with the onRequest closure and keep every INVITE alive for Timer L (32 s).
   */
  private readonly acceptedHook = (txn: ServerInviteTransaction, res: SipResponse): void => this.registerAccepted(txn, res);

  private registerAccepted(txn: ServerInviteTransaction, res: SipResponse): void {
    const req = txn.request;
    const key = dialogAckKey(
      headerValue(req, 'Call-ID') ?? '',
      parseCSeq(headerValue(req, 'CSeq') ?? '').seq,
      (tagOf(headerValue(req, 'From')) ?? ''),
      (tagOf(headerValue(res, 'To')) ?? ''),
      txn.source.address,
    );
    if (this.accepted.get(key) !== txn) {
      this.accepted.set(key, txn);
      txn.dialogKeys.push(key);
    }
  }
}

/**
 * True when a response came from where its client transaction's request went (RFC 3261 18.1.2
 * does not ask for this; it is what keeps a third party from answering our requests):
 * - same transport;
 * - same address (addressKey). A host name destination cannot be compared (the socket layer
 *   resolved it and does not say to what), so it passes: the embedded front end always resolves
 *   names first (endpointForUri), so only other callers of `request()` get the weaker check.
 * - UDP: the port is not compared: 18.2.2 sends the response to our Via, and a UDP server may
 *   answer from another socket than the one the request reached (multi-homed or pooled stacks).
 * - TCP: the port is compared too. Requests go out on the transport's connection to `to`
 *   (EmbeddedTransport.send pools connections by remote endpoint), whose remote end is exactly
 *   `to`, so a response from any other port came on another connection. That refuses the
 *   18.2.2 fallback too (the server opening a new connection because ours closed): such a
 *   request ends on Timer B/F instead, the price of not taking answers from a second connection.
 * - TLS: as TCP, but a request may also have gone over a connection the peer opened itself
 *   (RFC 5923 alias: from its ephemeral port, or from another address than its uri's): then a
 *   response whose verified certificate names the destination's host (`serverName`, exactly)
 *   is from there, since that is what the transport required to send on that connection.
 */
function fromDestination(to: Endpoint, source: Endpoint): boolean {
  if (to.transport !== source.transport) {
    return false;
  }
  const wanted = to.serverName?.toLowerCase();
  if (to.transport === 'tls' && wanted !== undefined && (source.tlsNames ?? []).some((name) => name.toLowerCase() === wanted)) {
    return true;
  }
  if (!isIpLiteral(to.address)) {
    return true;
  }
  if (addressKey(to.address) !== addressKey(source.address)) {
    return false;
  }
  return to.transport === 'udp' || to.port === source.port;
}
