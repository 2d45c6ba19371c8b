/**
 * The drachtio front end: the guard as a drachtio-srf application of a drachtio-server, which
 * owns the SIP sockets, the RFC 3261 transactions and its own dialog records. The same
 * CallController as the embedded front end makes every decision; this file is mechanics only.
 *
 * Why not `srf.createB2BUA` and drachtio-srf's Dialog objects (observed with drachtio-server
 * 0.9.10 and drachtio-srf 5.0.29 on loopback):
 *
 * - createB2BUA builds the B leg and every A-leg response from its own options (headers it
 *   copies, SDP it passes), and Dialog.handle() answers an in-dialog BYE with 200 before
 *   `destroy`, re-INVITE when no `modify` listener is attached, UPDATE and INFO when nobody
 *   listens. The controller already produces every message of both legs, complete (identities
 *   shielded or restored, SDP stripped, its own Call-ID, tags and CSeq); fitting that into
 *   createB2BUA would mean a second B2BUA deciding beside the controller. So no srf Dialog is
 *   ever created here: every request reaches the middleware below (srf's dialog middleware
 *   passes what it does not know), goes through `controller.handleRequest`, and the outcome is
 *   sent with `srf.request` / `res.send`; every response goes through `controller.handleResponse`.
 * - drachtio-server keeps Call-ID, From (with tag), To and CSeq an application gives to a request
 *   outside a dialog, and the To tag of the first response to a request, so both legs carry the
 *   controller's identifiers. It refuses Route, Record-Route, Via and RSeq from applications
 *   (logged as "client is not allowed to set dialog-level headers"); the route set of a request
 *   outside a dialog is therefore carried in the Request-URI's headers component
 *   (`sip:b@h?Route=...`, RFC 3261 19.1.1), which sofia-sip turns into Route header fields.
 * - drachtio-server still creates its own dialog for every INVITE answered 200, and routes
 *   in-dialog requests to the application only through such a dialog (BYE or UPDATE in an
 *   unknown dialog get 481 from drachtio-server, ACK is discarded). In-dialog requests are
 *   therefore sent inside drachtio-server's dialog while it exists (its CSeq numbering: the
 *   response's CSeq is put back to the controller's before the controller sees it), and the
 *   2xx ACK with drachtio-srf's ack function. drachtio-server drops its dialog as soon as a BYE
 *   arrives, whatever the answer: when the guard refuses that BYE (403) the call goes on, and
 *   later requests on that leg are sent outside any dialog with the controller's identifiers.
 * - drachtio-server answers CANCEL 200 and the INVITE 487 itself; drachtio-srf reports the
 *   CANCEL on the INVITE. The controller still relays it downstream (`req.cancel()`), and the
 *   487 it relays back finds the upstream transaction already answered.
 */
import type { CallController, Inbound } from '../../call/call-controller.ts';
import { reasonPhrase } from '../../call/sip-builders.ts';
import type { Logger } from '../../log/logger.ts';
import type { Profile } from '../../profile/profile-types.ts';
import { GuardSelf } from '../../routing/guard-self.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../sip/sip-message.ts';
import { SipParseError } from '../../sip/sip-parse-error.ts';
import { tagOf } from '../../sip/dialog-tags.ts';
import { getHeader, setHeader } from '../../sip/sip-headers.ts';
import { GuardRuntime, localResponse, type Forwarded, type GuardRuntimeOptions, type InboundRequest } from '../guard-runtime.ts';
import { viaSourceAddress } from './via-source.ts';
import type { DrachtioConnection } from './drachtio-connection.ts';
import { DialogBook } from './dialog-book.ts';
import { RSeqMap } from './rseq-map.ts';
import { connectSrf } from './srf-connect.ts';
import { originateOnSrf } from './srf-originate.ts';
import { createSrf, type SrfAck, type SrfApp, type SrfInboundRequest, type SrfInboundResponse, type SrfSentRequest, type SrfServerResponse } from './srf-port.ts';
import {
  ackOptions,
  destinationAsSource,
  dialogRequest,
  hostPortOf,
  inboundOf,
  legIds,
  parseRaw,
  reportedAddresses,
  responseSpec,
  standaloneRequest,
  withControllerCSeq,
  type SrfRequestSpec,
} from './srf-wire.ts';

export interface DrachtioGuardOptions extends GuardRuntimeOptions {
  readonly connection: DrachtioConnection;
  /** Tests may inject a drachtio-srf instance; by default a new one. */
  readonly srf?: SrfApp;
  /** How long to wait for drachtio-server to accept the connection. */
  readonly connectTimeoutMs?: number;
}

/** Every method drachtio-server may hand an application (drachtio-srf's `use(method)` also registers the route). */
const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'PRACK', 'UPDATE', 'INFO', 'OPTIONS', 'MESSAGE', 'NOTIFY', 'SUBSCRIBE', 'PUBLISH', 'REFER', 'REGISTER'];

export class DrachtioGuard {
  readonly #runtime: GuardRuntime<SrfServerResponse>;
  readonly #logger: Logger;
  readonly #srf: SrfApp;
  readonly #book = new DialogBook<SrfAck, SrfSentRequest>();
  readonly #rseq = new RSeqMap();
  #hostports: readonly string[] = [];
  /** Requests sent and not yet finally answered: stop() waits for them. */
  #pending = 0;
  #stopped = false;

  private constructor(options: DrachtioGuardOptions) {
    this.#logger = options.logger;
    this.#runtime = new GuardRuntime(options, {
      answer: (res, response) => this.#send(res, response),
      forward: (outcome, inbound) => this.#forward(outcome, inbound),
      relay: (res, response) => this.#send(res, response),
      originate: (request) => {
        originateOnSrf({ srf: this.#srf, book: this.#book, hostports: this.#hostports, logger: this.#logger }, request);
      },
    });
    this.#srf = options.srf ?? createSrf();
    for (const method of METHODS) {
      this.#srf.use(method.toLowerCase(), (req, res) => this.#onRequest(req, res));
    }
  }

  /** Connects to drachtio-server; rejects on a refused secret or when it does not answer in time. */
  static async start(options: DrachtioGuardOptions): Promise<DrachtioGuard> {
    const guard = new DrachtioGuard(options);
    const { host, port, secret } = options.connection;
    const hostport = await connectSrf(guard.#srf, { host, port, secret }, options.connectTimeoutMs ?? 10_000, guard.#logger, () => guard.#stopped);
    guard.#hostports = [...new Set(reportedAddresses(hostport))];
    guard.#logger.info({ drachtio: `${host}:${port}`, sip: guard.#hostports }, 'connected to drachtio-server');
    const self = new GuardSelf(options.profile);
    const own = hostPortOf(self.uri);
    if (own !== null && !guard.#hostports.some((hp) => hp.toLowerCase() === own)) {
      guard.#logger.warn(
        { self: self.uri, sip: guard.#hostports },
        'the profile names the guard (sip.public_uri, else sip.listen[0]) at an address drachtio-server did not report: unless it is drachtio-server\'s external address, the Contact and Route entries the guard writes point elsewhere and its own Route entries are not recognised',
      );
    }
    return guard;
  }

  /** A reloaded profile takes over new messages; calls in progress keep their state (same store). */
  replaceController(controller: CallController, profile: Profile): void {
    this.#runtime.reload(controller, profile);
  }

  /** True once `stop` began (the admin listener's readiness). */
  get draining(): boolean {
    return this.#runtime.draining;
  }

  /** What the front end holds of drachtio-server's state (dialogs, 2xx awaiting ACK, INVITEs in progress) and requests in flight. */
  get tracked(): { dialogs: number; acks: number; invites: number; pending: number } {
    return { ...this.#book.size, pending: this.#pending };
  }

  /** drachtio-server's SIP addresses, as it reported them (`host:port`). */
  get hostports(): readonly string[] {
    return this.#hostports;
  }

  /**
   * SIGTERM: new dialogs get 503 from now on; requests in progress run to their final response
   * (or `graceMs`), then the connection to drachtio-server closes.
   */
  stop(graceMs = 5_000): Promise<void> {
    return this.#runtime.stop(
      graceMs,
      () => this.#pending > 0,
      () => {
        this.#stopped = true;
        this.#srf.removeAllListeners('connect');
        this.#srf.disconnect();
      },
    );
  }

  #onRequest(req: SrfInboundRequest, res: SrfServerResponse): void {
    if (req.source !== 'network') {
      // drachtio-server's own requests (a BYE after an ACK timeout): nothing for the controller to relay.
      this.#logger.debug({ method: req.method, source: req.source }, 'request generated by drachtio-server');
      return;
    }
    const source = inboundOf(req);
    let msg: SipMessage;
    try {
      msg = parseRaw(req.raw, this.#runtime.profile.limits.message);
    } catch (error) {
      this.#logger.warn({ method: req.method, source, reason: (error as Error).message }, 'unparseable request from drachtio-server');
      if (req.method !== 'ACK') {
        // 400, or 413/513 for a message over the limits (message-limits.ts), saying why, as the embedded stack does.
        const status = error instanceof SipParseError ? error.status : 400;
        const reason = error instanceof SipParseError ? error.message : reasonPhrase(status);
        this.#send(res, { kind: 'response', status, reason, headers: [], body: '' });
      }
      return;
    }
    if (msg.kind !== 'request') {
      return;
    }
    // An ACK is never answered.
    const txn = msg.method === 'ACK' ? null : res;
    const handled = this.#handleRequest(msg, req, txn, source).catch((error: unknown) => this.#runtime.fail(msg, txn, error));
    if (msg.method === 'INVITE') {
      // Registered now, before any await: drachtio-srf emits it as soon as the CANCEL arrives.
      req.on('cancel', (cancel) => {
        void handled.then(() => this.#handleCancel(cancel.raw, source));
      });
      // drachtio-srf hands an UPDATE in this INVITE's early dialog to the INVITE (500 when nobody listens).
      req.on('update', (update, updateRes) => {
        void handled.then(() => this.#onRequest(update, updateRes));
      });
    }
  }

  /** drachtio-server's dialog and RSeq numbering noted, then the runtime's; settles once the decision is acted on. */
  async #handleRequest(req: SipRequest, srfReq: SrfInboundRequest, txn: SrfServerResponse | null, source: Inbound): Promise<void> {
    const ids = legIds(req);
    if (req.method === 'BYE') {
      // drachtio-server drops its dialog when a BYE arrives, before anyone answers it.
      this.#book.forgetDialog(ids.callId, ids.toTag);
    } else if (srfReq.stackDialogId !== undefined) {
      this.#book.noteDialog(ids.callId, ids.toTag, srfReq.stackDialogId);
    }
    const rack = req.method === 'PRACK' ? getHeader(req, 'RAck') : undefined;
    if (rack !== undefined) {
      setHeader(req, 'RAck', this.#rseq.rack(ids.callId, rack));
    }
    // A CANCEL or UPDATE of this INVITE waits for it.
    await this.#runtime.request(req, source, txn);
  }

  /** What the controller forwards: an ACK in drachtio-server's dialog, a CANCEL on its INVITE, any other request sent on. */
  #forward(outcome: Forwarded, { request, source, txn }: InboundRequest<SrfServerResponse>): void {
    switch (request.method) {
      case 'ACK':
        this.#relayAck(outcome.message as SipRequest);
        return;
      case 'CANCEL':
        this.#relayCancel(outcome);
        return;
    }
    const ids = legIds(outcome.message);
    const dialogId = ids.toTag === null ? undefined : this.#book.dialogOf(ids.callId, ids.fromTag);
    this.#sendRequest(outcome.message as SipRequest, outcome.to.uri, dialogId, txn, source);
  }

  /**
   * CANCEL: drachtio-server has answered it (and the INVITE 487); the controller relays it
   * downstream. drachtio-srf hands the CANCEL over without its transport source, so the source
   * is the one its top Via says (RFC 3261 18.2.1: `received` when it differs from sent-by), not
   * the INVITE's: whoever sent it is checked against the INVITE's peer like on the embedded stack.
   */
  #handleCancel(raw: string, inviteSource: Inbound): void {
    try {
      const cancel = parseRaw(raw, this.#runtime.profile.limits.message);
      if (cancel.kind !== 'request') {
        return;
      }
      const from = { ...inviteSource, address: viaSourceAddress(cancel) ?? inviteSource.address };
      // Nothing to answer (even over its queue): drachtio-server has answered the CANCEL already.
      void this.#runtime.request(cancel, from, null);
    } catch (error) {
      this.#logger.error({ err: error }, 'CANCEL handling failed');
    }
  }

  #relayCancel(outcome: Forwarded): void {
    const ids = legIds(outcome.message);
    const invite = this.#book.inviteOf(ids.callId, ids.fromTag, ids.seq);
    if (invite === undefined) {
      this.#logger.debug({ callId: ids.callId }, 'CANCEL for an INVITE already answered');
      return;
    }
    invite.cancel(ackOptions(outcome.message as SipRequest), (err) => {
      if (err !== null && err !== undefined) {
        this.#logger.debug({ err }, 'CANCEL not sent');
      }
    });
  }

  /**
   * Sends a request the controller forwards, inside drachtio-server's dialog when there is one,
   * and feeds each response back through the controller onto the inbound transaction.
   */
  #sendRequest(request: SipRequest, destination: string, dialogId: string | undefined, relayTo: SrfServerResponse | null, onBehalfOf: Inbound): void {
    const ids = legIds(request);
    const spec: SrfRequestSpec = dialogId === undefined ? standaloneRequest(request, destination, this.#hostports) : dialogRequest(request, dialogId);
    this.#pending++;
    let open = true;
    const done = (): void => {
      if (open) {
        open = false;
        this.#pending--;
      }
    };
    this.#srf.request(spec.uri, spec.opts, (err, sent) => {
      if ((err !== null && err !== undefined) || sent === undefined) {
        done();
        if (dialogId !== undefined && (err as { code?: string } | null)?.code === 'ENODIALOG') {
          // drachtio-server no longer has the dialog: send it with the controller's own identifiers.
          this.#book.forgetDialog(ids.callId, ids.fromTag);
          this.#sendRequest(request, destination, undefined, relayTo, onBehalfOf);
          return;
        }
        this.#logger.warn({ err, method: request.method, to: destination }, 'drachtio-server did not send the request');
        void this.#relay(localResponse(request, 503), destinationAsSource(destination), relayTo, onBehalfOf);
        return;
      }
      if (request.method === 'INVITE') {
        this.#book.noteInvite(ids.callId, ids.fromTag, ids.seq, sent);
      }
      sent.on('response', (res, ack) => {
        let response: SipResponse;
        try {
          const parsed = parseRaw(res.raw, this.#runtime.profile.limits.message);
          if (parsed.kind !== 'response') {
            return;
          }
          response = dialogId === undefined ? parsed : withControllerCSeq(parsed, ids.seq, ids.method);
        } catch (error) {
          this.#logger.warn({ status: res.status, reason: (error as Error).message }, 'unparseable response from drachtio-server');
          return;
        }
        if (request.method === 'INVITE' && res.status >= 200 && res.status < 300) {
          const toTag = tagOf(getHeader(response, 'To'));
          if (this.#book.noteAnswer(ids.callId, ids.fromTag, ids.seq, toTag)) {
            this.#book.noteDialog(ids.callId, ids.fromTag, res.stackDialogId);
            this.#book.noteAck(ids.callId, ids.fromTag, ids.seq, ack);
          } else {
            // Another fork's 2xx: the call's dialog and ACK stay the first one's; the guard's own ACK and BYE of this fork use these.
            this.#book.noteFork(ids.callId, ids.fromTag, toTag, ack, res.stackDialogId);
          }
        }
        const final = res.status >= 200;
        if (final && request.method === 'INVITE') {
          this.#book.forgetInvite(ids.callId, ids.fromTag, ids.seq);
        }
        if (final && request.method === 'BYE') {
          this.#book.forgetDialog(ids.callId, ids.fromTag);
        }
        void this.#relay(response, res, relayTo, onBehalfOf).finally(() => {
          if (final) {
            done();
          }
        });
      });
      if (request.method === 'INVITE') {
        // drachtio-srf hands an UPDATE inside this INVITE's early dialog to the INVITE.
        sent.on('update', (req, res) => this.#onRequest(req, res));
      }
    });
  }

  /** A response from downstream, through the controller (guard-runtime.ts), back on the inbound transaction; settles once it is acted on. */
  #relay(res: SipResponse, from: SrfInboundResponse | Inbound, relayTo: SrfServerResponse | null, onBehalfOf: Inbound): Promise<void> {
    return this.#runtime.response(res, 'raw' in from ? inboundOf(from) : from, onBehalfOf, relayTo);
  }

  /** The ACK of a 2xx, in the dialog drachtio-server made from that 2xx. */
  #relayAck(ack: SipRequest): void {
    const ids = legIds(ack);
    const send = this.#book.takeAck(ids.callId, ids.fromTag, ids.seq);
    if (send === undefined) {
      this.#logger.debug({ callId: ids.callId }, 'ACK for no 2xx drachtio-server holds');
      return;
    }
    send(ackOptions(ack), (err) => {
      if (err !== null && err !== undefined) {
        this.#logger.warn({ err }, 'ACK not sent');
      }
    });
  }

  /** Answers an inbound request; notes the dialog drachtio-server made when the answer created one. */
  #send(res: SrfServerResponse, response: SipResponse): void {
    const { status, reason, opts } = responseSpec(response);
    const ids = legIds(response);
    const callback = (err: unknown, sent?: { readonly raw?: string }): void => {
      if (err !== null && err !== undefined) {
        // e.g. the INVITE drachtio-server already ended with 487 after a CANCEL.
        this.#logger.debug({ err, status }, 'response not sent');
        return;
      }
      if (status > 100 && status < 200) {
        this.#rseq.note(ids.callId, sent?.raw, getHeader(response, 'RSeq'));
      }
      if (ids.method === 'INVITE' && status >= 200 && status < 300) {
        this.#book.noteDialog(ids.callId, ids.toTag, res.stackDialogId);
      }
    };
    try {
      res.send(status, reason, opts, callback);
    } catch {
      // drachtio-srf only sends status codes it knows; an unknown one is its class's x00 (RFC 3261 8.1.3.2).
      res.send(Math.floor(status / 100) * 100, reason, opts, callback);
    }
  }
}
