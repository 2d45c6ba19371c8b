import { buildController } from '../../src/call/build-controller.ts';
import type { CallController, Inbound } from '../../src/call/call-controller.ts';
import type { ControllerOutcome } from '../../src/call/controller-outcome.ts';
import { SequentialIdSource } from '../../src/call/id-source.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { MemoryCallStore } from '../../src/state/memory-call-store.ts';
import { PSEUDONYM_ENV } from './profile-fixture.ts';
import { BOOTSTRAP, offer } from './sdp-builder.ts';

export const CORE: Inbound = { address: '127.0.0.1', port: 5060, transport: 'udp' };
export const CALLEE_CORE: Inbound = { address: '127.0.0.2', port: 5060, transport: 'udp' };
export const WEATHER_AS: Inbound = { address: '127.0.0.3', port: 5060, transport: 'udp' };
export const GAMES_AS: Inbound = { address: '127.0.0.4', port: 5060, transport: 'udp' };

export function controllerFor(profile: Profile, now: () => number = () => 0): { controller: CallController; store: MemoryCallStore } {
  const store = new MemoryCallStore({ freeze: true });
  const controller = buildController(profile, { env: PSEUDONYM_ENV, store, ids: new SequentialIdSource(), now });
  return { controller, store };
}

/** Runs a message through the controller the way the server does: serialized and parsed again, as on the wire. */
export async function send(controller: CallController, message: SipMessage | string, from: Inbound): Promise<ControllerOutcome> {
  const parsed = parseSipMessage(typeof message === 'string' ? message : serializeSipMessage(message));
  return parsed.kind === 'request' ? controller.handleRequest(parsed, from) : controller.handleResponse(parsed, from);
}

export function forwarded(outcome: ControllerOutcome): SipMessage {
  if (outcome.kind !== 'forward') {
    throw new Error(`expected a forward, got ${outcome.kind}: ${JSON.stringify(outcome.report)}`);
  }
  return parseSipMessage(serializeSipMessage(outcome.message));
}

export function replied(outcome: ControllerOutcome): SipResponse {
  if (outcome.kind !== 'reply') {
    throw new Error(`expected a reply, got ${outcome.kind}: ${JSON.stringify(outcome.report)}`);
  }
  return outcome.response;
}

export function header(msg: SipMessage, name: string): string | undefined {
  return msg.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}

export function headers(msg: SipMessage, name: string): string[] {
  return msg.headers.filter((h) => h.name.toLowerCase() === name.toLowerCase()).map((h) => h.value);
}

/** The response a UAS would send to `req`: its Via, From, To (+tag), Call-ID and CSeq. */
export function responseTo(req: SipMessage, status: number, reason: string, opts: { tag?: string; body?: string; extra?: string[]; contact?: string } = {}): string {
  if (req.kind !== 'request') {
    throw new Error('responseTo needs a request');
  }
  const echo = req.headers.filter((h) => ['Via', 'From', 'Call-ID', 'CSeq'].includes(h.name)).map((h) => `${h.name}: ${h.value}`);
  const to = header(req, 'To') ?? '';
  const lines = [
    `SIP/2.0 ${status} ${reason}`,
    ...echo,
    `To: ${/;tag=/.test(to) ? to : `${to};tag=${opts.tag ?? 'uas-tag'}`}`,
    ...(opts.contact === undefined ? [] : [`Contact: ${opts.contact}`]),
    ...(opts.extra ?? []),
  ];
  if (opts.body !== undefined) {
    lines.push('Content-Type: application/sdp');
  }
  return `${lines.join('\r\n')}\r\n\r\n${opts.body ?? ''}`;
}

/** An in-dialog request from the peer of a leg, addressed with the dialog identifiers the guard gave it. */
export function inDialogRequest(
  dialogReq: SipRequest,
  dialogRes: SipResponse | null,
  method: string,
  cseq: number,
  opts: { fromCallee?: boolean; body?: string; extra?: string[]; via?: string } = {},
): string {
  const from = header(dialogReq, 'From') ?? '';
  const to = dialogRes === null ? (header(dialogReq, 'To') ?? '') : (header(dialogRes, 'To') ?? '');
  const [fromHeader, toHeader] = opts.fromCallee === true ? [to, from] : [from, to];
  const lines = [
    `${method} sip:guard@127.0.0.10:5060 SIP/2.0`,
    `Via: ${opts.via ?? 'SIP/2.0/UDP 127.0.0.99:5060;branch=z9hG4bK-indialog-' + cseq}`,
    'Max-Forwards: 70',
    `From: ${fromHeader}`,
    `To: ${toHeader}`,
    `Call-ID: ${header(dialogReq, 'Call-ID') ?? ''}`,
    `CSeq: ${cseq} ${method}`,
    ...(opts.extra ?? []),
  ];
  if (opts.body !== undefined) {
    lines.push('Content-Type: application/sdp');
  }
  return `${lines.join('\r\n')}\r\n\r\n${opts.body ?? ''}`;
}

export function asRequest(m: SipMessage): SipRequest {
  if (m.kind !== 'request') {
    throw new Error('not a request');
  }
  return m;
}

export function asResponse(m: SipMessage): SipResponse {
  if (m.kind !== 'response') {
    throw new Error('not a response');
  }
  return m;
}

/** The core's INVITE of the unit tests: Alice calls +15550002222, an offer with a bootstrap DC unless `body` says otherwise. */
export function coreInvite(
  opts: { from?: string; route?: string[]; body?: string; extra?: string[]; callId?: string; uri?: string; maxForwards?: number; via?: string } = {},
): string {
  return [
    `INVITE ${opts.uri ?? 'tel:+15550002222'} SIP/2.0`,
    `Via: SIP/2.0/UDP ${opts.via ?? '127.0.0.1'}:5060;branch=z9hG4bK-orig-1`,
    `Max-Forwards: ${opts.maxForwards ?? 70}`,
    ...(opts.route ?? []).map((r) => `Route: ${r}`),
    `From: ${opts.from ?? '"Alice" <sip:alice@ims.example.net>'};tag=caller-tag`,
    'To: <tel:+15550002222>',
    `Call-ID: ${opts.callId ?? 'orig-call-1@10.0.0.1'}`,
    'CSeq: 10 INVITE',
    'Contact: <sip:alice@10.0.0.1:5060>',
    'P-Asserted-Identity: "Alice" <sip:alice@ims.example.net>',
    ...(opts.extra ?? []),
    'Content-Type: application/sdp',
    '',
    opts.body ?? offer({ channels: [BOOTSTRAP] }),
  ].join('\r\n');
}
