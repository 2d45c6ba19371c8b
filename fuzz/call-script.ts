/**
 * The valid messages of one DC call as its parties write them, built from what the guard sent
 * each of them (its Call-IDs, tags and Contacts), so a mutation starts from a message that
 * belongs to a live dialog. Shared by the controller level and the wire level.
 */
import { getHeader, getHeaderValues } from '../src/sip/sip-headers.ts';
import type { SipRequest, SipResponse } from '../src/sip/sip-message.ts';
import { ADDRESSES } from './fuzz-profile.ts';
import { DC_FEATURE, OFFERS, requestText, responseText, sdpBody, type Body, type BodyStyle } from './sip-templates.ts';

export interface Party {
  readonly ip: string;
  readonly port: number;
}

export interface CallLab {
  readonly guard: Party;
  readonly caller: Party;
  readonly callee: Party;
  readonly as: Party;
}

/** Who starts the call: the core toward the core, the AS toward the core, or the core handing the call to the AS (`;as=`). */
export type CallShape = 'core' | 'as' | 'core-via-as';

export function callerOf(lab: CallLab, shape: CallShape): Party {
  return shape === 'as' ? lab.as : lab.caller;
}

/** Who answers the INVITE the guard sends on. */
export function answererOf(lab: CallLab, shape: CallShape): Party {
  return shape === 'core-via-as' ? lab.as : lab.callee;
}

function via(p: Party, branch: string): string {
  return `SIP/2.0/UDP ${p.ip}:${p.port};branch=${branch};rport`;
}

function uriOf(nameAddr: string | undefined): string {
  return /<([^>]+)>/.exec(nameAddr ?? '')?.[1] ?? (nameAddr ?? '').trim();
}

export function initialInvite(lab: CallLab, shape: CallShape, opts: { callId: string; branch: string; style: BodyStyle; ungranted: boolean; extra?: readonly string[] }): string {
  const caller = callerOf(lab, shape);
  const guardUri = `sip:${lab.guard.ip}:${lab.guard.port}`;
  return requestText({
    method: 'INVITE',
    uri: 'sip:+15550002222@ims.example.net;user=phone',
    via: [via(caller, opts.branch)],
    route: shape === 'core-via-as' ? [`<${guardUri};lr;as=weather-as>`, `<sip:${ADDRESSES.callee}:${lab.callee.port};lr>`] : [],
    from: `"Alice" <sip:+15550001111@ims.example.net;user=phone>;tag=${opts.callId.replace(/@.*/, "")}-a`,
    to: '<sip:+15550002222@ims.example.net;user=phone>',
    callId: opts.callId,
    cseq: 1,
    contact: `<sip:${caller.ip}:${caller.port}>${DC_FEATURE}`,
    extra: ['Supported: 100rel, timer', 'P-Asserted-Identity: <sip:+15550001111@ims.example.net;user=phone>', ...(opts.extra ?? [])],
    body: sdpBody(opts.style, opts.ungranted ? OFFERS.ungranted() : OFFERS.granted(caller.ip === ADDRESSES.as), caller.ip === ADDRESSES.as),
  });
}

/** A UAS's response to `req` (RFC 3261 8.2.6), as `from` writes it. */
export function responseTo(req: SipRequest, from: Party, status: number, reason: string, body: Body | null): string {
  const to = getHeader(req, 'To') ?? '';
  const method = req.method;
  return responseText({
    status,
    reason,
    via: getHeaderValues(req, 'Via'),
    from: getHeader(req, 'From') ?? '',
    to: status > 100 && !/;\s*tag=/i.test(to) ? `${to};tag=answerer` : to,
    callId: getHeader(req, 'Call-ID') ?? '',
    cseq: getHeader(req, 'CSeq') ?? `1 ${method}`,
    ...(status < 300 && (method === 'INVITE' || method === 'UPDATE') ? { contact: `<sip:${from.ip}:${from.port}>${DC_FEATURE}` } : {}),
    body,
  });
}

/** The SDP answer in `style` that `from` puts in an offer-carrying response. */
export function answerBody(style: BodyStyle, from: Party): Body {
  return sdpBody(style, OFFERS.answer(), from.ip === ADDRESSES.as);
}

/** A dialog as one side holds it (RFC 3261 12.1), for its in-dialog requests. */
export interface DialogView {
  readonly callId: string;
  readonly local: string;
  readonly remote: string;
  readonly target: string;
}

/** The caller's dialog, from the 2xx the guard relayed to it. */
export function callerDialog(ok: SipResponse): DialogView {
  return { callId: getHeader(ok, 'Call-ID') ?? '', local: getHeader(ok, 'From') ?? '', remote: getHeader(ok, 'To') ?? '', target: uriOf(getHeader(ok, 'Contact')) };
}

/** The answerer's dialog, from the INVITE the guard sent it (its tag is `answerer`, as responseTo writes). */
export function answererDialog(invite: SipRequest): DialogView {
  return {
    callId: getHeader(invite, 'Call-ID') ?? '',
    local: `${getHeader(invite, 'To') ?? ''};tag=answerer`,
    remote: getHeader(invite, 'From') ?? '',
    target: uriOf(getHeader(invite, 'Contact')),
  };
}

export function inDialogRequest(dialog: DialogView, from: Party, opts: { method: string; cseq: number; branch: string; body?: Body | null }): string {
  return requestText({
    method: opts.method,
    uri: dialog.target,
    via: [via(from, opts.branch)],
    from: dialog.local,
    to: dialog.remote,
    callId: dialog.callId,
    cseq: opts.cseq,
    ...(opts.method === 'INVITE' || opts.method === 'UPDATE' ? { contact: `<sip:${from.ip}:${from.port}>${DC_FEATURE}` } : {}),
    body: opts.body ?? null,
  });
}

/** The re-offer `from` puts in an in-dialog INVITE or UPDATE. */
export function reOfferBody(style: BodyStyle, version: number, from: Party, ungranted: boolean): Body {
  return sdpBody(style, OFFERS.reOffer(version, ungranted, from.ip === ADDRESSES.as), from.ip === ADDRESSES.as);
}
