import type { Test } from 'tap';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { labs, type AttackSuiteOptions, type Lab } from './attack-suite.ts';
import type { FrontEndUnderTest } from './flow-suite.ts';
import { BOOTSTRAP, type ChannelSpec, offer, WEATHER } from './sdp-builder.ts';
import { addrUri, dialogRequest, inDialog } from './sip-peer.ts';

/**
 * The untrusted AS answering an offer it got from the core, as an attacker who has read the
 * guard: it echoes the offered channels but moves one to another application, swaps two stream
 * ids, turns a P2P channel into one toward an AS, or relabels one (TS 26.114 6.2.10.3). On every
 * carrier of an answer: 183 and 200 to the INVITE, 200 to a re-INVITE and to an UPDATE, PRACK and
 * ACK. The offerer must get the answer with that channel refused and the rest as answered.
 * Written once, run on each front end; each test uses 10 ports from `firstPort`.
 */

/** A P2P channel: its far end is the other user (the endpoint token of a=3gpp-req-app). */
const CHAT: ChannelSpec = { stream: 1001, sub: 'x-chat', label: 'chat', app: 'com.example.chat endpoint=ue' };
const OFFERED = [BOOTSTRAP, WEATHER, CHAT];

interface Mutation {
  readonly name: string;
  readonly channels: readonly ChannelSpec[];
  /** Stream ids the offerer must still see accepted. */
  readonly kept: readonly number[];
  /** What of the attacker's answer must not reach the offerer. */
  readonly absent: RegExp;
}

const MUTATIONS: readonly Mutation[] = [
  { name: 'the app of a channel changed', channels: [BOOTSTRAP, { ...WEATHER, app: 'com.example.ads' }, CHAT], kept: [0, 1001], absent: /com\.example\.ads/ },
  {
    name: 'a stream id swapped between two channels',
    channels: [BOOTSTRAP, { ...CHAT, stream: 1000 }, { ...WEATHER, stream: 1001 }],
    kept: [0],
    absent: /weather|chat/,
  },
  { name: 'a P2P channel turned into one toward an AS', channels: [BOOTSTRAP, WEATHER, { ...CHAT, app: 'com.example.chat endpoint=as' }], kept: [0, 1000], absent: /endpoint=as/ },
  { name: 'a label changed', channels: [BOOTSTRAP, { ...WEATHER, label: 'tracker' }, CHAT], kept: [0, 1001], absent: /tracker/ },
];

const callIdOf = (m: SipMessage): string => getHeader(m, 'Call-ID') ?? '';
const cseqOf = (m: SipMessage): string => getHeader(m, 'CSeq') ?? '';

/** The dialog a response with a To tag set up, as the side that sent the request sees it. */
function requesterDialog(res: SipResponse): Parameters<typeof inDialog>[1] {
  return { callId: callIdOf(res), localUri: getHeader(res, 'From') ?? '', remoteUri: getHeader(res, 'To') ?? '', remoteTarget: addrUri(getHeader(res, 'Contact')) };
}

/** How many of the guard's decision lines so far refused a changed channel of an answer. */
function corrections(l: Lab): number {
  return l.guard.logs.filter((g) => g.msg === 'decision' && JSON.stringify(g.reasons ?? []).includes('"dc.answer-app-changed"')).length;
}

/** The answer as the offerer got it: `mutation`'s channel refused, the others kept, the m-line count and order as offered. */
function checkCorrected(t: Test, body: string, mutation: Mutation, where: string): void {
  const view = readSdp(body);
  t.same(view.mediaTypes, ['audio', 'application'], `${where}: m-line count and order kept`);
  t.same(view.dcMedia[0]?.channels.map((c) => c.streamId), mutation.kept, `${where}: the channel is refused, the other channels are kept`);
  t.notMatch(body, mutation.absent, `${where}: nothing of the redirect reaches the offerer`);
}

export function defineAnswerAttacks(t: Test, frontEnd: () => FrontEndUnderTest, options: AttackSuiteOptions): void {
  const { skip } = options;
  const lab = labs(frontEnd, options.firstPort);

  /** The core calls a user through the AS (`;as=weather-as`): the INVITE as the AS got it (retransmissions of earlier ones skipped). */
  async function callViaAs(l: Lab, seen: Set<string>, callId: string, body: string): Promise<SipRequest> {
    l.caller.send(
      dialogRequest(l.caller, {
        uri: 'sip:+15550002222@ims.example.net',
        callId,
        fromTag: callId,
        route: [`<${l.guardUri};lr;as=weather-as>`, `<sip:127.0.0.2:${l.callee.port};lr>`],
        body,
      }),
      l.to,
    );
    const atAs = await l.as.next<SipRequest>((m) => m.kind === 'request' && m.method === 'INVITE' && !seen.has(callIdOf(m)));
    seen.add(callIdOf(atAs));
    return atAs;
  }

  for (const status of [183, 200]) {
    t.test(`the AS answering a core offer in a ${status}: each redirect is refused, the rest of the answer passes`, { skip }, async (t) => {
      const l = await lab(t);
      const seen = new Set<string>();
      for (const [i, mutation] of MUTATIONS.entries()) {
        const callId = `answer-${status}-${i}`;
        const atAs = await callViaAs(l, seen, callId, offer({ channels: OFFERED }));
        t.equal(readSdp(atAs.body).dcMedia[0]?.channels.length, 3, 'the AS got the three channels the core offered');
        const before = corrections(l);
        l.as.reply(atAs, status, status === 183 ? 'Session Progress' : 'OK', { toTag: 'as', body: offer({ channels: mutation.channels, username: 'as' }) });
        const got = await l.caller.next<SipResponse>((m) => m.kind === 'response' && m.status === status && callIdOf(m) === callId);
        checkCorrected(t, got.body, mutation, `${mutation.name}, in the ${status}`);
        t.ok(corrections(l) > before, `${mutation.name}: the correction is logged as dc.answer-app-changed`);
        if (status === 200) {
          l.caller.send(inDialog(l.caller, requesterDialog(got), { method: 'ACK', cseq: 1 }), l.to);
        }
      }
      const echo = await callViaAs(l, seen, `answer-${status}-echo`, offer({ channels: OFFERED }));
      l.as.reply(echo, status, 'OK', { toTag: 'as', body: offer({ channels: OFFERED, username: 'as', dcPort: 7000 }) });
      const got = await l.caller.next<SipResponse>((m) => m.kind === 'response' && m.status === status && callIdOf(m) === `answer-${status}-echo`);
      t.same(readSdp(got.body).dcMedia[0]?.channels.map((c) => c.streamId), [0, 1000, 1001], 'an answer that echoes every channel keeps them all');
      if (status === 200) {
        l.caller.send(inDialog(l.caller, requesterDialog(got), { method: 'ACK', cseq: 1 }), l.to);
      }
    });
  }

  t.test('a re-INVITE and an UPDATE from the core toward the AS: the AS answering them with a redirect is corrected', { skip }, async (t) => {
    const l = await lab(t);
    const atAs = await callViaAs(l, new Set(), 'answer-reoffer', offer({ channels: [BOOTSTRAP] }));
    l.as.reply(atAs, 200, 'OK', { toTag: 'as', body: offer({ channels: [BOOTSTRAP], username: 'as' }) });
    const ok = await l.caller.nextResponse(200, 'INVITE');
    const dialog = requesterDialog(ok);
    l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq: 1 }), l.to);
    await l.as.nextRequest('ACK');

    const steps: [string, Mutation | undefined][] = [
      ['INVITE', MUTATIONS[0]],
      ['UPDATE', MUTATIONS[2]],
      ['INVITE', MUTATIONS[3]],
    ];
    let cseq = 1;
    for (const [method, mutation] of steps) {
      if (mutation === undefined) {
        throw new Error('no such mutation');
      }
      cseq += 1;
      const before = corrections(l);
      l.caller.send(inDialog(l.caller, dialog, { method, cseq, body: offer({ channels: OFFERED, version: cseq }) }), l.to);
      const reOffer = await l.as.nextRequest(method);
      l.as.reply(reOffer, 200, 'OK', { body: offer({ channels: mutation.channels, username: 'as', version: cseq }) });
      const answered = await l.caller.next<SipResponse>((m) => m.kind === 'response' && m.status === 200 && cseqOf(m) === `${cseq} ${method}`);
      checkCorrected(t, answered.body, mutation, `${mutation.name}, in the 200 to a ${method}`);
      t.ok(corrections(l) > before, `${mutation.name} (${method}): logged`);
      if (method === 'INVITE') {
        l.caller.send(inDialog(l.caller, dialog, { method: 'ACK', cseq }), l.to);
        await l.as.nextRequest('ACK');
      }
    }
  });

  t.test('the AS answering in a PRACK or an ACK (offers in a reliable 183 and in a 200) is corrected the same way', { skip }, async (t) => {
    const l = await lab(t);
    const [app, swap] = MUTATIONS;
    if (app === undefined || swap === undefined) {
      throw new Error('no such mutation');
    }
    // The AS places an offerless call; the core callee offers in a reliable 183; the AS answers in its PRACK.
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'answer-prack', fromTag: 'as-prack', headers: [{ name: 'Supported', value: '100rel' }] }), l.to);
    const invite = await l.callee.nextRequest('INVITE');
    l.callee.reply(invite, 183, 'Session Progress', {
      toTag: 'callee',
      body: offer({ channels: OFFERED, username: 'bob' }),
      headers: [
        { name: 'Require', value: '100rel' },
        { name: 'RSeq', value: '1' },
        { name: 'Contact', value: l.callee.contact },
      ],
    });
    const early = await l.as.nextResponse(183, 'INVITE');
    const rack = `${getHeader(early, 'RSeq') ?? '1'} 1 INVITE`;
    l.as.send(inDialog(l.as, requesterDialog(early), { method: 'PRACK', cseq: 2, headers: [{ name: 'RAck', value: rack }], body: offer({ channels: app.channels, username: 'as' }) }), l.to);
    const prack = await l.callee.nextRequest('PRACK');
    checkCorrected(t, prack.body, app, `${app.name}, in the PRACK`);
    l.callee.reply(prack, 200, 'OK');

    // Again offerless; the callee offers in its 200; the AS answers in its ACK.
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'answer-ack', fromTag: 'as-ack' }), l.to);
    const second = await l.callee.next<SipRequest>((m) => m.kind === 'request' && m.method === 'INVITE' && callIdOf(m) !== callIdOf(invite));
    l.callee.reply(second, 200, 'OK', { toTag: 'callee2', body: offer({ channels: OFFERED, username: 'bob' }) });
    const ok = await l.as.next<SipResponse>((m) => m.kind === 'response' && m.status === 200 && callIdOf(m) === 'answer-ack');
    l.as.send(inDialog(l.as, requesterDialog(ok), { method: 'ACK', cseq: 1, body: offer({ channels: swap.channels, username: 'as' }) }), l.to);
    const ack = await l.callee.nextRequest('ACK');
    checkCorrected(t, ack.body, swap, `${swap.name}, in the ACK`);
    t.ok(corrections(l) >= 2, 'both corrections are logged, the ACK\'s too');
  });
}
