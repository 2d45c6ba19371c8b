import type { Reason } from '../policy/reason.ts';
import { LEG_HEADERS } from '../privacy/header-allow-list.ts';
import type { SipHeader, SipRequest, SipResponse } from '../sip/sip-message.ts';
import type { LegState } from '../state/call-state.ts';

/**
 * Headers that belong to one hop or one dialog (RFC 3261 16.6, 12.2) and so never cross the
 * B2BUA: the guard writes its own on each leg (the privacy allow-list's list, but for
 * Content-Type, which travels with the body). Everything else is end-to-end and is copied.
 */
const HOP_HEADERS = new Set(LEG_HEADERS.filter((name) => name !== 'Content-Type'));

export function endToEndHeaders(headers: readonly SipHeader[], drop: ReadonlySet<string> = new Set()): SipHeader[] {
  return headers.filter((h) => !HOP_HEADERS.has(h.name) && !drop.has(h.name.toLowerCase()));
}

/** Headers a response echoes from its request (RFC 3261 8.2.6.2). */
export function echoHeaders(req: SipRequest): SipHeader[] {
  return req.headers.filter((h) => h.name === 'Via' || h.name === 'From' || h.name === 'To' || h.name === 'Call-ID' || h.name === 'CSeq');
}

export interface LegRequestParts {
  readonly method: string;
  readonly uri: string;
  readonly via: string;
  readonly maxForwards: number;
  readonly routes: readonly string[];
  readonly cseq: number;
  readonly contact: string | null;
  readonly copied: readonly SipHeader[];
  readonly body: string;
}

/** A request the guard sends on one of its legs, with that leg's dialog identifiers. */
export function requestOnLeg(leg: LegState, parts: LegRequestParts): SipRequest {
  const headers: SipHeader[] = [
    { name: 'Via', value: parts.via },
    { name: 'Max-Forwards', value: String(parts.maxForwards) },
    ...parts.routes.map((value) => ({ name: 'Route', value })),
    { name: 'From', value: `${leg.localUri};tag=${leg.localTag}` },
    { name: 'To', value: leg.remoteTag === null ? leg.remoteUri : `${leg.remoteUri};tag=${leg.remoteTag}` },
    { name: 'Call-ID', value: leg.callId },
    { name: 'CSeq', value: `${parts.cseq} ${parts.method}` },
  ];
  if (parts.contact !== null) {
    headers.push({ name: 'Contact', value: parts.contact });
  }
  headers.push(...parts.copied);
  return { kind: 'request', method: parts.method, uri: parts.uri, headers, body: parts.body };
}

/**
 * A response on the leg a request came in on: the request's Via, From, To, Call-ID and CSeq,
 * with the guard's tag added to To where the request had none (RFC 3261 8.2.6.2).
 */
export function responseOnLeg(
  echo: readonly SipHeader[],
  status: number,
  reason: string,
  toTag: string | null,
  extra: readonly SipHeader[],
  body = '',
): SipResponse {
  const headers = echo.map((h) =>
    h.name === 'To' && toTag !== null && status > 100 && !/;\s*tag=/i.test(h.value) ? { name: 'To', value: `${h.value};tag=${toTag}` } : h,
  );
  return { kind: 'response', status, reason, headers: [...headers, ...extra], body };
}

/** RFC 3261 20.43: code 399 (miscellaneous), the guard as agent, the reason codes as text. */
export function warningFor(agent: string, reasons: readonly Reason[]): SipHeader | null {
  if (reasons.length === 0) {
    return null;
  }
  const text = reasons.map((r) => r.code).filter((code, i, all) => all.indexOf(code) === i).join(' ');
  return { name: 'Warning', value: `399 ${agent} "${text}"` };
}

/** RFC 3261 21 and the extensions' (RFC 3262, 3265, 4028, 4412, 6228…). */
const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  494: 'Security Agreement Required',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

/** A status no table entry names gets its class's name (RFC 3261 21: the class is what counts). */
const CLASS_PHRASES = ['Provisional', 'Success', 'Redirection', 'Client Error', 'Server Error', 'Global Failure'];

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? CLASS_PHRASES[Math.floor(status / 100) - 1] ?? 'Unknown';
}
