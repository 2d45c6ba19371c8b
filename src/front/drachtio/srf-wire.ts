import { Buffer } from 'node:buffer';
import type { Inbound } from '../../call/call-controller.ts';
import { parseCSeq } from '../../sip/cseq.ts';
import { tagOf } from '../../sip/dialog-tags.ts';
import { getHeader, getHeaderValues, setHeader } from '../../sip/sip-headers.ts';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from '../../sip/sip-message.ts';
import type { MessageLimits } from '../../sip/message-limits.ts';
import { parseSipMessage } from '../../sip/sip-parser.ts';
import { formatUri, parseUri } from '../../sip/sip-uri.ts';
import { unbracket } from '../../transport/endpoint.ts';
import type { SrfMessage, SrfRequestOptions, SrfSendOptions } from './srf-port.ts';

/**
 * Pure translations between the controller's complete SIP messages and what drachtio-srf
 * sends. drachtio-server writes Via and Content-Length itself and refuses Route, Record-Route
 * and RSeq from an application (they are dropped, not sent); inside one of its dialogs it
 * numbers CSeq itself. Everything else the controller wrote goes out as written.
 */

/** Never handed to drachtio-server: it writes these itself or discards them. */
const SERVER_OWNED = new Set(['Via', 'Route', 'Record-Route', 'Content-Length', 'RSeq']);
/** A response takes these from its request in drachtio-server (and drachtio-srf would append duplicates). */
const ECHOED_IN_RESPONSE = new Set(['Via', 'From', 'Call-ID', 'CSeq', 'Content-Length', 'Record-Route']);

/** Where a message came from, as the controller wants it. */
export function inboundOf(msg: SrfMessage): Inbound {
  return { address: msg.source_address, port: Number(msg.source_port), transport: msg.protocol === 'udp' ? 'udp' : 'tcp' };
}

/** drachtio-server's text of a message, read by the guard's own strict parser. Throws SipParseError. */
/**
 * drachtio-srf takes a body as a JS string and writes it as UTF-8; the guard keeps bodies as
 * byte strings (see sip-parser.ts). A body that came through drachtio-server was UTF-8 text
 * already (drachtio hands the application text), so the bytes map back; a binary body cannot
 * cross drachtio-srf unchanged, which is drachtio's limit, not the guard's.
 */
function bodyText(body: string): string {
  return Buffer.from(body, 'latin1').toString('utf8');
}

export function parseRaw(raw: string, limits?: MessageLimits): SipMessage {
  return parseSipMessage(raw, limits);
}

/** One header line per name, as drachtio-srf takes them: list values joined with commas (RFC 3261 7.3.1). */
export function headerObject(headers: readonly SipHeader[], skip: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of headers) {
    if (skip.has(h.name)) {
      continue;
    }
    const prior = out[h.name];
    out[h.name] = prior === undefined ? h.value : `${prior}, ${h.value}`;
  }
  return out;
}

export interface SrfRequestSpec {
  readonly uri: string;
  readonly opts: SrfRequestOptions;
}

/**
 * A request sent outside any drachtio-server dialog, with the controller's own Call-ID, tags
 * and CSeq. drachtio-server drops a Route header an application sets; the route set travels
 * instead in the Request-URI's headers component (RFC 3261 19.1.1), which sofia-sip turns into
 * Route header fields and strips from the Request-URI as it builds the request. `proxy` makes
 * it go where the controller decided (the first route, a peer's URI, the next hop).
 */
export function standaloneRequest(req: SipRequest, destination: string, ownHostports: readonly string[] = []): SrfRequestSpec {
  const routes = getHeaderValues(req, 'Route');
  return {
    uri: withRouteHeaders(sendableRequestUri(offSelf(req.uri, destination, ownHostports), destination), routes),
    opts: { method: req.method, proxy: destination, headers: headerObject(req.headers, SERVER_OWNED), body: bodyText(req.body) },
  };
}

/**
 * A request inside a drachtio-server dialog: the dialog supplies the route set it learned and,
 * once it has sent a request of its own, the next CSeq (the controller's is used before that).
 */
export function dialogRequest(req: SipRequest, dialogId: string): SrfRequestSpec {
  return { uri: req.uri, opts: { method: req.method, stackDialogId: dialogId, headers: headerObject(req.headers, SERVER_OWNED), body: bodyText(req.body) } };
}

/** What goes with an ACK or CANCEL drachtio-srf builds from the request it answers (the dialog writes the rest). */
export function ackOptions(ack: SipRequest): SrfSendOptions {
  const skip = new Set([...SERVER_OWNED, 'CSeq', 'From', 'To', 'Call-ID']);
  return { headers: headerObject(ack.headers, skip), body: bodyText(ack.body) };
}

/** Status, reason and headers for `res.send`: To carries the guard's tag; the rest of the echo is drachtio-server's. */
export function responseSpec(res: SipResponse): { status: number; reason: string; opts: SrfSendOptions } {
  return { status: res.status, reason: res.reason, opts: { headers: headerObject(res.headers, ECHOED_IN_RESPONSE), body: bodyText(res.body) } };
}

/**
 * drachtio-server 0.9.10 (and its master as of this writing) dereferences the host of the
 * Request-URI of an INVITE, OPTIONS, NOTIFY or MESSAGE an application sends outside a dialog,
 * and a tel: URI has none: the server crashes (SIGSEGV). A tel: Request-URI therefore goes out
 * as the equivalent SIP URI (RFC 3261 19.1.6): `tel:+N;params` becomes
 * `sip:+N;params@<host of the next hop>;user=phone`. Other URIs are unchanged.
 */
export function sendableRequestUri(uri: string, destination: string): string {
  if (!/^tel:/i.test(uri)) {
    return uri;
  }
  const host = parseUri(destination)?.host ?? '';
  return host === '' ? uri : `sip:${uri.slice(4)}@${host};user=phone`;
}

/**
 * drachtio-server refuses to send a request whose Request-URI names itself ("can not send
 * request to myself"), even with a proxy set: a request addressed to the guard that goes on by
 * `sip.next_hop` (what `sipp -s service <guard>` sends) would always end in 503. As the UA it is
 * on that leg, the guard retargets it (RFC 3261 16.5 leaves the Request-URI to the element that
 * owns it): the destination's host and port, the user part and parameters kept. The embedded
 * stack sends such a request unchanged to the next hop.
 */
export function offSelf(uri: string, destination: string, ownHostports: readonly string[]): string {
  const own = hostPortOf(uri);
  if (own === null || !ownHostports.some((hp) => hp.toLowerCase() === own)) {
    return uri;
  }
  const parsed = parseUri(uri);
  const target = parseUri(destination);
  if (parsed === null || target === null) {
    return uri;
  }
  return formatUri({ ...parsed, host: target.host, port: target.port });
}

/** `uri?Route=<escaped route set>`; the Request-URI itself when there is no route. */
export function withRouteHeaders(uri: string, routes: readonly string[]): string {
  if (routes.length === 0) {
    return uri;
  }
  return `${uri}${uri.includes('?') ? '&' : '?'}Route=${encodeURIComponent(routes.join(', '))}`;
}

/** The dialog's CSeq on a response is put back to the one the controller sent, so it finds its transaction. */
export function withControllerCSeq(res: SipResponse, seq: number, method: string): SipResponse {
  const out: SipResponse = { ...res, headers: [...res.headers] };
  setHeader(out, 'CSeq', `${seq} ${method}`);
  return out;
}

/** Identifiers of one message on one leg. */
export interface LegIds {
  readonly callId: string;
  readonly fromTag: string | null;
  readonly toTag: string | null;
  readonly seq: number;
  readonly method: string;
}

export function legIds(msg: SipMessage): LegIds {
  let seq = 0;
  let method = msg.kind === 'request' ? msg.method : '';
  try {
    const cseq = parseCSeq(getHeader(msg, 'CSeq') ?? '');
    seq = cseq.seq;
    method = cseq.method;
  } catch {
    // leave the defaults: the controller refuses what it cannot read
  }
  return { callId: getHeader(msg, 'Call-ID') ?? '', fromTag: tagOf(getHeader(msg, 'From')), toTag: tagOf(getHeader(msg, 'To')), seq, method };
}

/**
 * host:port keys drachtio-server reported at connect (`udp/127.0.0.11:5070,tcp/…`), to check
 * that the profile's own address (Via, Contact, the guard's Route entry) is drachtio-server's.
 */
export function reportedAddresses(hostports: string): string[] {
  return hostports
    .split(',')
    .map((hp) => hp.trim().replace(/^[a-z]+\//i, ''))
    .filter((hp) => hp !== '');
}

/** `host:port` of a SIP URI, for comparing with drachtio-server's addresses. */
export function hostPortOf(uri: string): string | null {
  const parsed = parseUri(uri);
  if (parsed === null || parsed.scheme === 'tel') {
    return null;
  }
  return `${parsed.host.toLowerCase()}:${parsed.port ?? (parsed.scheme === 'sips' ? 5061 : 5060)}`;
}

/** Whom a response the guard made up for an unsent request is attributed to: the destination. */
export function destinationAsSource(destination: string): Inbound {
  const uri = parseUri(destination);
  const tcp = uri !== null && uri.params.some(([name, value]) => name.toLowerCase() === 'transport' && value?.toLowerCase() === 'tcp');
  return { address: unbracket(uri?.host ?? ''), port: uri?.port ?? 5060, transport: tcp ? 'tcp' : 'udp' };
}
