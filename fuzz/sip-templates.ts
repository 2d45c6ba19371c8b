/**
 * Valid SIP messages as text, the seeds every mutation starts from: the INVITE, re-INVITE,
 * UPDATE, BYE and ACK of a DC call and the responses to them (18x, 200 with an SDP answer, 4xx),
 * with plain SDP or multipart bodies. Built from parts, so the controller and wire levels can
 * fill in the identifiers of a live dialog; the parser level uses `standaloneSeeds()`.
 */
import { ADS, BOOTSTRAP, WEATHER, dcSdp, mixedBody, nestedBody } from './dc-bodies.ts';

export interface Body {
  readonly type: string;
  readonly body: string;
}

export interface RequestParts {
  readonly method: string;
  readonly uri: string;
  readonly via: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  readonly contact?: string;
  readonly route?: readonly string[];
  readonly extra?: readonly string[];
  readonly body?: Body | null;
}

export interface ResponseParts {
  readonly status: number;
  readonly reason: string;
  readonly via: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  /** The whole CSeq value, `1 INVITE`. */
  readonly cseq: string;
  readonly contact?: string;
  readonly extra?: readonly string[];
  readonly body?: Body | null;
}

function withBody(lines: string[], body: Body | null | undefined): string {
  if (body === null || body === undefined) {
    lines.push('Content-Length: 0');
    return `${lines.join('\r\n')}\r\n\r\n`;
  }
  lines.push(`Content-Type: ${body.type}`, `Content-Length: ${body.body.length}`);
  return `${lines.join('\r\n')}\r\n\r\n${body.body}`;
}

export function requestText(p: RequestParts): string {
  const lines = [
    `${p.method} ${p.uri} SIP/2.0`,
    ...p.via.map((v) => `Via: ${v}`),
    'Max-Forwards: 70',
    ...(p.route ?? []).map((r) => `Route: ${r}`),
    `From: ${p.from}`,
    `To: ${p.to}`,
    `Call-ID: ${p.callId}`,
    `CSeq: ${p.cseq} ${p.method}`,
    ...(p.contact === undefined ? [] : [`Contact: ${p.contact}`]),
    ...(p.extra ?? []),
  ];
  return withBody(lines, p.body);
}

export function responseText(p: ResponseParts): string {
  const lines = [
    `SIP/2.0 ${p.status} ${p.reason}`,
    ...p.via.map((v) => `Via: ${v}`),
    `From: ${p.from}`,
    `To: ${p.to}`,
    `Call-ID: ${p.callId}`,
    `CSeq: ${p.cseq}`,
    ...(p.contact === undefined ? [] : [`Contact: ${p.contact}`]),
    ...(p.extra ?? []),
  ];
  return withBody(lines, p.body);
}

export type BodyStyle = 'sdp' | 'mixed' | 'nested';

/** An SDP (offer or answer) in the given wrapping. */
export function sdpBody(style: BodyStyle, sdp: string, untrustedSender = false): Body {
  switch (style) {
    case 'sdp':
      return { type: 'application/sdp', body: sdp };
    case 'mixed':
      return mixedBody(sdp, untrustedSender ? 'dtmf' : 'isup');
    case 'nested':
      return nestedBody(sdp);
  }
}

/** What a DC-capable UE puts beside its Contact (TS 26.114 6.2.10). */
export const DC_FEATURE = ';+sip.app-subtype="webrtc-datachannel"';

export const OFFERS = {
  /** A bootstrap and a granted application channel (the AS may not add a bootstrap: only the app for it). */
  granted: (byAs = false) => dcSdp({ channels: byAs ? [WEATHER] : [BOOTSTRAP, WEATHER] }),
  /** Also an application the AS has no grant for. */
  ungranted: () => dcSdp({ channels: [BOOTSTRAP, WEATHER, ADS] }),
  reOffer: (version: number, ungranted = true, byAs = false) => dcSdp({ channels: ungranted ? [BOOTSTRAP, WEATHER, ADS] : byAs ? [WEATHER] : [BOOTSTRAP, WEATHER], version }),
  answer: () => dcSdp({ user: 'bob', channels: [BOOTSTRAP, WEATHER], answer: true }),
};

/** Response status lines the fuzzer answers with. */
export const RESPONSE_KINDS = [
  { status: 180, reason: 'Ringing', sdp: false },
  { status: 183, reason: 'Session Progress', sdp: true },
  { status: 200, reason: 'OK', sdp: true },
  { status: 403, reason: 'Forbidden', sdp: false },
  { status: 486, reason: 'Busy Here', sdp: false },
  { status: 488, reason: 'Not Acceptable Here', sdp: false },
] as const;

/**
 * Seeds with fixed identifiers, one per message kind and body style: what the parser level
 * mutates, and the donors any level mixes in (another kind's start line, headers or body).
 */
export function standaloneSeeds(): string[] {
  const via = ['SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-fz1;rport', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-fz0;received=10.0.0.1'];
  const from = '"Alice" <sip:+15550001111@ims.example.net;user=phone>;tag=fz-a';
  const to = '<tel:+15550002222>';
  const dialogTo = `${to};tag=fz-b`;
  const callId = 'fz-call-1@ims.example.net';
  const contact = `<sip:127.0.0.3:5060>${DC_FEATURE}`;
  const extra = ['Supported: 100rel, timer', 'P-Asserted-Identity: <sip:+15550001111@ims.example.net;user=phone>', 'Allow: INVITE, ACK, BYE, CANCEL, UPDATE, PRACK'];
  const seeds: string[] = [];
  for (const style of ['sdp', 'mixed', 'nested'] as const) {
    seeds.push(requestText({ method: 'INVITE', uri: 'tel:+15550002222', via, from, to, callId, cseq: 1, contact, extra, body: sdpBody(style, OFFERS.ungranted()) }));
    seeds.push(requestText({ method: 'INVITE', uri: 'sip:127.0.0.10:5060', via, from, to: dialogTo, callId, cseq: 2, contact, body: sdpBody(style, OFFERS.reOffer(2)) }));
    seeds.push(requestText({ method: 'UPDATE', uri: 'sip:127.0.0.10:5060', via, from, to: dialogTo, callId, cseq: 3, contact, body: sdpBody(style, OFFERS.reOffer(3)) }));
    seeds.push(responseText({ status: 200, reason: 'OK', via, from, to: dialogTo, callId, cseq: '1 INVITE', contact, body: sdpBody(style, OFFERS.answer()) }));
    seeds.push(responseText({ status: 183, reason: 'Session Progress', via, from, to: dialogTo, callId, cseq: '1 INVITE', contact, extra: ['Require: 100rel', 'RSeq: 1'], body: sdpBody(style, OFFERS.answer()) }));
  }
  seeds.push(
    requestText({
      method: 'INVITE',
      uri: 'tel:+15550002222',
      via,
      route: ['<sip:127.0.0.10:5060;lr;as=weather-as>', '<sip:scscf.ims.example.net;lr;odi=abc>'],
      from,
      to,
      callId,
      cseq: 1,
      contact,
      body: sdpBody('sdp', OFFERS.granted()),
    }),
  );
  seeds.push(requestText({ method: 'BYE', uri: 'sip:127.0.0.10:5060', via, from, to: dialogTo, callId, cseq: 4 }));
  seeds.push(requestText({ method: 'ACK', uri: 'sip:127.0.0.10:5060', via, from, to: dialogTo, callId, cseq: 1 }));
  seeds.push(responseText({ status: 180, reason: 'Ringing', via, from, to: dialogTo, callId, cseq: '1 INVITE', contact }));
  seeds.push(responseText({ status: 486, reason: 'Busy Here', via, from, to: dialogTo, callId, cseq: '1 INVITE' }));
  seeds.push(responseText({ status: 200, reason: 'OK', via, from, to: dialogTo, callId, cseq: '4 BYE' }));
  return seeds;
}
