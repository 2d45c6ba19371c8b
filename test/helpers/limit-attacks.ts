/**
 * The untrusted AS against the message limits, on the wire (src/sip/message-limits.ts): each
 * over-limit message is answered with its status before any policy work and reaches nobody,
 * and a core call right after it goes through. Written once, run on each front end.
 */
import type { Test } from 'tap';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipMessage } from '../../src/sip/sip-message.ts';
import { labs, type AttackSuiteOptions, type Lab } from './attack-suite.ts';
import type { FrontEndUnderTest } from './flow-suite.ts';
import { BOOTSTRAP, offer, WEATHER } from './sdp-builder.ts';
import { dialogRequest } from './sip-peer.ts';

/** A core call through the guard, answered by the callee: the guard still serves the core. */
async function coreCallGoesThrough(t: Test, l: Lab, callId: string): Promise<void> {
  l.caller.send(dialogRequest(l.caller, { uri: 'sip:+15550002222@ims.example.net', callId, body: offer({ channels: [BOOTSTRAP] }) }), l.to);
  const atCallee = await l.callee.nextRequest('INVITE');
  l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
  t.equal((await l.caller.nextResponse(200, 'INVITE')).status, 200, 'a core call right after goes through');
}

const invitesAtCallee = (l: Lab, callId: string): SipMessage[] =>
  l.callee.received.filter((m) => m.kind === 'request' && m.method === 'INVITE' && getHeader(m, 'Call-ID')?.endsWith(callId.slice(-6)) === true);

export function defineLimitAttacks(t: Test, frontEnd: () => FrontEndUnderTest, options: AttackSuiteOptions): void {
  const { skip } = options;
  const lab = labs(frontEnd, options.firstPort);

  t.test('a From with 4,000 parameters is answered 400 and reaches nobody', { skip }, async (t) => {
    const l = await lab(t);
    const req = dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'limit-params', body: offer({ channels: [WEATHER] }) });
    const heavy = { ...req, headers: req.headers.map((h) => (h.name === 'From' ? { name: 'From', value: `<sip:as@weather.example>;tag=x${';p'.repeat(4_000)}` } : h)) };
    l.as.send(heavy, l.to);
    const answer = await l.as.nextResponse((s) => s >= 300, 'INVITE');
    t.equal(answer.status, 400);
    t.match(answer.reason, /parameters on a From header line/, 'the reason names the limit');
    t.notOk(await l.callee.gotWithin((m) => m.kind === 'request' && m.method === 'INVITE'), 'the callee got nothing');
    await coreCallGoesThrough(t, l, 'limit-params-after');
  });

  t.test('an SDP with more m-lines than the limit is answered 413 and reaches nobody', { skip }, async (t) => {
    const l = await lab(t);
    const many = offer({ channels: [WEATHER], extraDc: Array.from({ length: 16 }, (_, i) => ({ port: 53000 + i, channels: [WEATHER] })) });
    l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'limit-mlines', body: many }), l.to);
    const answer = await l.as.nextResponse((s) => s >= 300, 'INVITE');
    t.equal(answer.status, 413);
    t.match(answer.reason, /more than 16 SDP m-lines/);
    t.equal(invitesAtCallee(l, 'limit-mlines').length, 0, 'the callee got nothing');
    await coreCallGoesThrough(t, l, 'limit-mlines-after');
  });

  t.test('more Record-Route entries than the limit: 400, nothing forwarded', { skip }, async (t) => {
    const l = await lab(t);
    const req = dialogRequest(l.as, {
      uri: 'sip:+15550002222@ims.example.net',
      callId: 'limit-rr',
      body: offer({ channels: [WEATHER] }),
      headers: [{ name: 'Record-Route', value: Array.from({ length: 40 }, (_, i) => `<sip:hop${i}.example.net;lr>`).join(', ') }],
    });
    l.as.send(req, l.to);
    const answer = await l.as.nextResponse((s) => s >= 300, 'INVITE');
    t.equal(answer.status, 400);
    t.match(answer.reason, /more than 32 Record-Route entries/);
    t.notOk(await l.callee.gotWithin((m) => m.kind === 'request' && m.method === 'INVITE'), 'the callee got nothing');
  });
}
