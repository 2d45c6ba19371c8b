import type { CallController } from '../../call/call-controller.ts';
import type { OriginatedRequest } from '../../call/controller-outcome.ts';
import { echoHeaders, responseOnLeg } from '../../call/sip-builders.ts';
import type { Logger } from '../../log/logger.ts';
import { PeerDirectory } from '../../profile/peer-directory.ts';
import type { Profile } from '../../profile/profile-types.ts';
import { GuardSelf } from '../../routing/guard-self.ts';
import { tagOf } from '../../sip/dialog-tags.ts';
import { getHeader } from '../../sip/sip-headers.ts';
import type { SipRequest, SipResponse } from '../../sip/sip-message.ts';
import type { Scheduler } from '../../transaction/scheduler.ts';
import { TransactionLayer, type ServerTransaction, type TransactionUser } from '../../transaction/transaction-layer.ts';
import { DROP_KINDS, EmbeddedTransport } from '../../transport/embedded-transport.ts';
import type { Endpoint } from '../../transport/endpoint.ts';
import type { SipTransport } from '../../transport/sip-transport.ts';
import { loadTlsMaterial } from '../../transport/tls-context.ts';
import { GuardRuntime, localResponse, type Forwarded, type GuardRuntimeOptions, type InboundRequest } from '../guard-runtime.ts';
import { endpointForUri, type ResolveHost } from './endpoint-for-uri.ts';
import { contactOverTls, requestOverTls } from './self-over-tls.ts';

export interface EmbeddedGuardOptions extends GuardRuntimeOptions {
  readonly scheduler?: Scheduler;
  /** Tests inject a transport bound elsewhere; by default the profile's `sip.listen`. */
  readonly transport?: SipTransport;
  /** Host names of URIs to addresses; default DNS (A/AAAA). Tests map their names to loopback. */
  readonly resolveHost?: ResolveHost;
}

/**
 * The embedded front end: the guard's own UDP/TCP/TLS transport and RFC 3261 transaction layer
 * around the CallController. Everything it does is mechanics; every decision is the controller's.
 * Toward a TLS destination it rewrites what the controller wrote about the guard (Via, Contact,
 * its Route entry) to the guard's TLS address (self-over-tls.ts).
 */
export class EmbeddedGuard implements TransactionUser {
  readonly #runtime: GuardRuntime<ServerTransaction>;
  readonly #logger: Logger;
  readonly #transport: SipTransport;
  readonly #transactions: TransactionLayer;
  readonly #fallbackTransport: 'udp' | 'tcp';
  readonly #self: GuardSelf;
  readonly #resolveHost: ResolveHost | undefined;
  /**
   * The ACK last sent on each downstream dialog (by Call-ID and To tag: the forks of one INVITE
   * share the Call-ID), relayed or the guard's own, re-sent when its 2xx is retransmitted (RFC 6026).
   */
  readonly #acks = new Map<string, { ack: SipRequest; to: Endpoint }>();
  /** Who may reach the transport at all: the profile's peers under `unknown_peers: reject`, everyone (null) under `untrusted`. */
  #admitted: PeerDirectory | null;

  private constructor(options: EmbeddedGuardOptions) {
    this.#logger = options.logger;
    this.#runtime = new GuardRuntime(options, {
      answer: (txn, response) => txn.respond(response),
      forward: (outcome, inbound) => this.#dispatch(outcome, inbound),
      relay: (txn, response) => this.#relayResponse(txn, response),
      originate: (request) => {
        this.#originate(request).catch((error: unknown) => this.#logger.error({ err: error, method: request.request.method }, 'guard request not sent'));
      },
    });
    const first = options.profile.sip.listen[0]?.transport ?? 'udp';
    this.#fallbackTransport = first === 'udp' ? 'udp' : 'tcp';
    this.#admitted = admissionOf(options.profile);
    const limits = options.profile.limits.transport;
    this.#self = new GuardSelf(options.profile);
    this.#resolveHost = options.resolveHost;
    const tls = options.profile.sip.tls;
    this.#transport =
      options.transport ??
      new EmbeddedTransport({
        listen: options.profile.sip.listen,
        // Read here, so a missing or bad file stops the start with the key that names it.
        ...(tls === null ? {} : { tls: loadTlsMaterial(tls) }),
        maxMessageBytes: options.profile.limits.message.maxMessageBytes,
        messageLimits: () => this.#runtime.profile.limits.message,
        schedule: (source, work, inDialog) => this.#runtime.queue.receive(source, work, inDialog),
        maxConnections: limits.maxConnections,
        maxConnectionsPerSource: limits.maxConnectionsPerSource,
        headerDeadlineMs: limits.headerDeadlineMs,
        idleTimeoutMs: limits.idleTimeoutMs,
        maxWriteQueueBytes: limits.maxWriteQueueBytes,
        admitSource: (address) => this.#admitted === null || this.#admitted.byAddress(address) !== undefined,
        // Dropped input comes at the rate an attacker sends it: logged as one summary an interval, never a line each.
        onError: (event) => {
          if (!DROP_KINDS.has(event.kind)) {
            this.#logger.warn({ ...event }, 'transport');
          }
        },
        onDropSummary: (s) => this.#logger.warn({ total: s.total, kinds: s.kinds, periodMs: Math.round(s.until - s.since) }, 'transport drops'),
      });
    this.#transactions = new TransactionLayer(this.#transport, this, {
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
      onTimeout: (timer) => options.observer?.transactionTimeout(timer),
      onError: (event) => {
        if (event.kind === 'wrong-source-response') {
          // A response on a transaction it does not face: refused like any wrong-peer message, and said so.
          this.#logger.info({ action: 'drop', status: null, reasons: [{ code: 'dialog.wrong-peer', detail: event.detail }] }, 'decision');
        } else {
          this.#logger.warn({ ...event }, 'transaction');
        }
      },
    });
  }

  static async start(options: EmbeddedGuardOptions): Promise<EmbeddedGuard> {
    const guard = new EmbeddedGuard(options);
    await guard.#transport.start();
    guard.#logger.info({ listen: guard.#transport.localEndpoints }, 'listening');
    return guard;
  }

  /**
   * A reloaded profile takes over new messages; calls in progress keep their state (same store).
   * Its peers and `unknown_peers` also decide at once who reaches the transport, its message
   * limits and fair-share caps apply to the next message; `limits.transport` (connection caps,
   * deadlines, write queue) stays as it was at start.
   */
  replaceController(controller: CallController, profile: Profile): void {
    // Its peers (and their certificate names) answer for made-up responses from now on.
    this.#runtime.reload(controller, profile);
    this.#admitted = admissionOf(profile);
  }

  /** True once `stop` began (the admin listener's readiness). */
  get draining(): boolean {
    return this.#runtime.draining;
  }

  get endpoints(): readonly Endpoint[] {
    return this.#transport.localEndpoints;
  }

  /**
   * SIGTERM: new dialogs get 503 from now on; transactions in progress run to their end
   * (or `graceMs`), then the sockets close.
   */
  stop(graceMs = 5_000): Promise<void> {
    return this.#runtime.stop(
      graceMs,
      () => this.#transactions.size > 0,
      () => {
        this.#transactions.close();
        return this.#transport.close();
      },
    );
  }

  onRequest(req: SipRequest, txn: ServerTransaction): void {
    void this.#runtime.request(req, txn.source, txn);
  }

  onAck(req: SipRequest, source: Endpoint): void {
    // An ACK is never answered; over its queue, it is lost like on a busy link.
    void this.#runtime.request(req, source, null);
  }

  onStrayResponse(res: SipResponse, source: Endpoint): void {
    this.#logger.debug({ status: res.status, source }, 'stray response');
  }

  /** What the controller forwards: the ACK statelessly, any other request on a client transaction. */
  async #dispatch(outcome: Forwarded, { request: req, txn }: InboundRequest<ServerTransaction>): Promise<void> {
    if (req.method === 'ACK') {
      return this.#relayAck(outcome);
    }
    if (txn === null) {
      return;
    }
    if (req.method === 'BYE') {
      // The dialog is ending: its ACK will not be needed again.
      this.#acks.delete(dialogKey(outcome.message));
    }
    if (req.method === 'CANCEL') {
      // RFC 3261 9.2: the CANCEL is answered at once; the INVITE's own 487 comes from downstream.
      txn.respond(responseOnLeg(echoHeaders(req), 200, 'OK', null, []));
    }
    await this.#forward(outcome, txn, req.method === 'CANCEL' ? null : txn);
  }

  async #forward(outcome: Forwarded, source: ServerTransaction, relayTo: ServerTransaction | null): Promise<void> {
    const request = outcome.message as SipRequest;
    const to = await endpointForUri(outcome.to.uri, this.#fallbackTransport, this.#resolveHost);
    if (to === null) {
      this.#relay(localResponse(request, 503), source.source, relayTo, source.source);
      return;
    }
    if (to.transport === 'tls') {
      requestOverTls(request, this.#self);
    }
    // A response the guard makes up stands for the peer the request went to, certificate and all.
    const local = this.#localSource(to, outcome.to.peerId);
    // The callbacks drop what they hold once a final response is in: the client transaction
    // lives on for Timer K/M (up to 32 s) and must not keep the request and its inbound
    // transaction alive with it.
    let inbound: ServerTransaction | null = relayTo;
    let sent: SipRequest | null = request;
    const settle = (res: SipResponse): ServerTransaction | null => {
      const txn = inbound;
      if (res.status >= 200) {
        inbound = null;
        sent = null;
      }
      return txn;
    };
    const fail = (status: number): void => {
      if (sent !== null) {
        const res = localResponse(sent, status);
        this.#relay(res, local, settle(res), source.source);
      }
    };
    this.#transactions.request(request, to, {
      // The layer hands over only responses from where the request went; the controller checks the peer.
      onResponse: (res, from) => this.#relay(res, from, settle(res), source.source),
      onTimeout: () => fail(408),
      onTransportError: () => fail(503),
      onRetransmitted2xx: (res) => this.#reAck(res),
    });
  }

  /** A response from downstream, through the controller (guard-runtime.ts), back on the inbound transaction. */
  #relay(res: SipResponse, from: Endpoint, txn: ServerTransaction | null, onBehalfOf: Endpoint): void {
    if (res.status === 100) {
      // Hop by hop (RFC 3261 16.7 step 5): it has stopped the INVITE's retransmissions in the
      // transaction layer, and the controller would only drop it; not worth a decision per call.
      return;
    }
    void this.#runtime.response(res, from, onBehalfOf, txn);
  }

  /** A downstream response the controller forwards: toward a TLS source, with the guard's TLS Contact. */
  #relayResponse(txn: ServerTransaction, out: SipResponse): void {
    if (txn.source.transport === 'tls') {
      contactOverTls(out, this.#self, /^sips:/i.test(txn.request.uri));
    }
    txn.respond(out);
  }

  async #relayAck(outcome: Forwarded): Promise<void> {
    const to = await endpointForUri(outcome.to.uri, this.#fallbackTransport, this.#resolveHost);
    if (to === null) {
      return;
    }
    this.#sendAck(outcome.message as SipRequest, to);
  }

  #sendAck(ack: SipRequest, to: Endpoint): void {
    if (to.transport === 'tls') {
      requestOverTls(ack, this.#self);
    }
    this.#transactions.sendStateless(ack, to);
    const key = dialogKey(ack);
    this.#acks.delete(key);
    this.#acks.set(key, { ack, to });
    if (this.#acks.size > 10_000) {
      const oldest = this.#acks.keys().next().value;
      if (oldest !== undefined) {
        this.#acks.delete(oldest);
      }
    }
  }

  /**
   * A request the guard makes itself: an ACK statelessly (kept for the 2xx's retransmissions),
   * anything else on a client transaction of its own. Its responses stop here: nobody waits for
   * them, the controller's state moved on when it decided to send it.
   */
  async #originate({ to: destination, request }: OriginatedRequest): Promise<void> {
    const to = await endpointForUri(destination.uri, this.#fallbackTransport, this.#resolveHost);
    if (to === null) {
      this.#logger.warn({ method: request.method, to: destination.peerId }, 'guard request not sent: no address');
      return;
    }
    if (request.method === 'ACK') {
      this.#sendAck(request, to);
      return;
    }
    if (to.transport === 'tls') {
      requestOverTls(request, this.#self);
    }
    const done = (outcome: string): void => {
      if (request.method === 'BYE') {
        // A retransmitted 2xx may cross the BYE: its ACK is kept until the BYE is over.
        this.#acks.delete(dialogKey(request));
      }
      this.#logger.debug({ method: request.method, to: destination.peerId, outcome }, 'guard request done');
    };
    this.#transactions.request(request, to, {
      onResponse: (res) => {
        if (res.status >= 200) {
          done(String(res.status));
        }
      },
      onTimeout: () => done('timeout'),
      onTransportError: () => done('transport-error'),
    });
  }

  /**
   * The source of a response the guard makes up for a request sent to `to` (408, 503): that
   * destination, with the names of the peer's certificate when the peer is known by one, so
   * the controller takes it as that peer's answer (a certificate peer is never recognised by
   * its address alone).
   */
  #localSource(to: Endpoint, peerId: string | null): Endpoint {
    const peer = peerId === null ? undefined : this.#runtime.profile.peers.find((p) => p.id === peerId);
    return peer === undefined || peer.certificateSans.length === 0 ? to : { ...to, tlsNames: peer.certificateSans };
  }

  #reAck(res: SipResponse): void {
    const stored = this.#acks.get(dialogKey(res));
    if (stored !== undefined) {
      this.#transactions.sendStateless(stored.ack, stored.to);
    }
  }
}

/** A downstream dialog of the guard's: its Call-ID and the peer's (To) tag. */
function dialogKey(msg: SipRequest | SipResponse): string {
  return `${getHeader(msg, 'Call-ID') ?? ''}\n${tagOf(getHeader(msg, 'To')) ?? ''}`;
}

/** The peer directory that admits sources under `unknown_peers: reject`; null: every source is admitted. */
function admissionOf(profile: Profile): PeerDirectory | null {
  return profile.guard.unknownPeers === 'reject' ? new PeerDirectory(profile.peers) : null;
}
