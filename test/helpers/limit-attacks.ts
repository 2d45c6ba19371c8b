/**
 * The untrusted AS against the message limits, on the wire (src/sip/message-limits.ts): each
 * over-limit message is answered with its status before any policy work and reaches nobody,
 * and a core call right after it goes through. Written once, run on each front end.
 */
import type { Test } from 'tap';
import { Buffer } from 'node:buffer';
import { createSocket } from 'node:dgram';
import { getHeader } from '../../src/sip/sip-headers.ts';
import { encodeSipMessage } from '../../src/sip/sip-serializer.ts';
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

  t.test('a tag behind white space only JavaScript skips, or behind a byte that is not UTF-8, is refused with 400 (found by the fuzzer)', { skip }, async (t) => {
    const l = await lab(t);
    const req = dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'limit-nbsp', body: offer({ channels: [WEATHER] }) });
    // The 400 echoes the From as it came, which the guard's own parser (and so SipPeer) refuses to
    // read: a raw socket of the AS's reads the answer's status line.
    const raw = createSocket('udp4');
    await new Promise<void>((resolve) => raw.bind(l.as.port + 5, l.as.ip, resolve));
    t.teardown(() => raw.close());
    const statuses: string[] = [];
    raw.on('message', (data) => statuses.push(data.toString('latin1').split('\r\n')[0] ?? ''));
    const text = encodeSipMessage(req).toString('latin1').replace(`${l.as.ip}:${l.as.port};`, `${l.as.ip}:${l.as.port + 5};`);
    const from = /\r\nFrom: [^\r]*/.exec(text)?.[0] ?? '';
    const [before, after] = from.split(';tag=');
    const cases = [
      ['U+00A0 as UTF-8', Buffer.from('\u00a0', 'utf8')],
      ['a lone byte 0xA0', Buffer.from([0xa0])],
    ] as const;
    for (const [i, [name, spacer]] of cases.entries()) {
      const head = text.slice(0, text.indexOf(from)) + (before ?? '') + ';';
      const tail = `tag=${after ?? ''}${text.slice(text.indexOf(from) + from.length)}`.replace('limit-nbsp', `limit-nbsp-${i}`).replace(/branch=([^;\r]+)/, `branch=$1x${i}`);
      raw.send(Buffer.concat([Buffer.from(head, 'latin1'), spacer, Buffer.from(tail, 'latin1')]), l.to.port, l.to.address);
      const deadline = Date.now() + 5_000;
      while (!statuses.some((s) => !s.startsWith('SIP/2.0 1')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      t.match(statuses.find((s) => !s.startsWith('SIP/2.0 1')) ?? 'no answer', /^SIP\/2\.0 400 /, `${name}: 400`);
      statuses.length = 0;
    }
    t.notOk(await l.callee.gotWithin((m) => m.kind === 'request' && m.method === 'INVITE'), 'the callee got nothing');
    await coreCallGoesThrough(t, l, 'limit-nbsp-after');
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
