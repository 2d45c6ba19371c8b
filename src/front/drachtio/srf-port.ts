import Srf from 'drachtio-srf';

/**
 * The part of drachtio-srf 5.0.x the drachtio front end uses, typed as it behaves. The
 * package's bundled typings describe neither the callback forms nor the raw text and
 * transport facts this front end relies on; the drachtio SIPp suite pins these shapes.
 */

/** A message drachtio-server handed up: the text as drachtio-server serialised it, and where it came from. */
export interface SrfMessage {
  /** The whole SIP message; the front end parses it with the guard's own strict parser. */
  readonly raw: string;
  /** `network` for SIP traffic; `application` for requests drachtio-server generated itself. */
  readonly source: string;
  readonly source_address: string;
  readonly source_port: number;
  /** `udp`, `tcp`, `tls`, `ws`, `wss`. */
  readonly protocol: string;
  /** drachtio-server's dialog id (`<Call-ID>;from-tag=<UAC tag>`), for messages inside one of its dialogs. */
  readonly stackDialogId?: string;
}

/** A request from the network. */
export interface SrfInboundRequest extends SrfMessage {
  readonly method: string;
  /** drachtio-srf intercepts CANCEL and reports it on the INVITE it cancels (drachtio-server has already answered it). */
  on(event: 'cancel', listener: (cancel: { readonly raw: string }) => void): unknown;
  /** drachtio-srf hands an UPDATE in the early dialog of an INVITE to that INVITE (500 when nobody listens). */
  on(event: 'update', listener: (req: SrfInboundRequest, res: SrfServerResponse) => void): unknown;
}

/** The server side of an inbound request: how the front end answers it. */
export interface SrfServerResponse {
  send(
    status: number,
    reason: string,
    opts: SrfSendOptions,
    callback: (err: unknown, sent?: { readonly raw?: string }) => void,
  ): void;
  /** Set once the send callback ran: drachtio-server's dialog id when the response created or sits in a dialog. */
  readonly stackDialogId?: string;
}

/** A response from the network to a request the front end sent. */
export interface SrfInboundResponse extends SrfMessage {
  readonly status: number;
}

/** Sends the ACK for a 2xx inside drachtio-server's dialog (drachtio-server ACKs other final responses itself). */
export type SrfAck = (opts: SrfSendOptions, callback?: (err: unknown) => void) => void;

/** A request the front end sent, as drachtio-server echoed it. */
export interface SrfSentRequest {
  readonly raw: string;
  on(event: 'response', listener: (res: SrfInboundResponse, ack: SrfAck) => void): unknown;
  /** An UPDATE from the network in the early dialog of this INVITE (nobody answers it when nobody listens). */
  on(event: 'update', listener: (req: SrfInboundRequest, res: SrfServerResponse) => void): unknown;
  cancel(opts: SrfSendOptions, callback: (err: unknown) => void): void;
}

export interface SrfSendOptions {
  headers?: Record<string, string>;
  body?: string;
}

export interface SrfRequestOptions extends SrfSendOptions {
  method: string;
  /** Where to send it (host, port, transport of this URI), whatever the Request-URI says. */
  proxy?: string;
  /** Send inside this drachtio-server dialog: Call-ID, tags, CSeq and route set are the dialog's. */
  stackDialogId?: string;
}

export type SrfHandler = (req: SrfInboundRequest, res: SrfServerResponse, next: (err?: unknown) => void) => void;

export interface SrfConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

export interface SrfApp {
  connect(opts: SrfConnectOptions): unknown;
  disconnect(): void;
  /** Middleware for one method; registering it also asks drachtio-server to route that method here. */
  use(method: string, handler: SrfHandler): void;
  request(uri: string, opts: SrfRequestOptions, callback: (err: unknown, req?: SrfSentRequest) => void): void;
  on(event: 'connect', listener: (err: Error | null | undefined, hostport?: string) => void): unknown;
  on(event: 'error' | 'close' | 'reconnecting', listener: (...args: unknown[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/** A fresh drachtio-srf instance, not yet connected. */
export function createSrf(): SrfApp {
  const srf = new Srf() as unknown as SrfApp;
  const disconnect = srf.disconnect.bind(srf);
  srf.disconnect = () => {
    const wp = stopReconnecting(srf);
    try {
      disconnect();
    } catch {
      // drachtio-srf asserts when no connection is up (drachtio-server gone): a reconnect
      // attempt may still be under way.
      wp?.socket?.destroy();
    }
  };
  return srf;
}

/** The drachtio-srf 5.0.x wire protocol object, where its reconnect timer lives. */
interface WireProtocolInternals {
  closing?: boolean;
  socket?: { destroy(): void };
  reconnectVars?: { retryTimer?: ReturnType<typeof setTimeout> | null };
}

/**
 * drachtio-srf reconnects for ever once its connection drops, and its disconnect() throws when
 * there is no connection to close, so a guard stopped while drachtio-server is down would keep
 * the process alive. Marks the wire protocol as closing and cancels a pending retry.
 */
function stopReconnecting(srf: SrfApp): WireProtocolInternals | undefined {
  const wp = (srf as unknown as { _app?: { client?: { wp?: WireProtocolInternals } } })._app?.client?.wp;
  if (wp === undefined) {
    return undefined;
  }
  wp.closing = true;
  const timer = wp.reconnectVars?.retryTimer;
  if (timer !== undefined && timer !== null) {
    clearTimeout(timer);
    if (wp.reconnectVars !== undefined) {
      wp.reconnectVars.retryTimer = null;
    }
  }
  return wp;
}
