/**
 * A call abandoned without a BYE (the callee vanished after ringing) is swept from the call
 * store once its idle time has passed (guard-runtime.ts), on each front end: before, only the
 * embedded front end swept, so on drachtio such a call lived for ever and counted against its
 * peer's concurrent_calls. The controller's clock is moved on; the sweep runs every 100 ms.
 */
import type { Test } from 'tap';
import { EARLY_IDLE_MS } from '../../src/call/call-controller.ts';
import type { AttackSuiteOptions } from './attack-suite.ts';
import type { FrontEndUnderTest } from './flow-suite.ts';
import { BOOTSTRAP, offer } from './sdp-builder.ts';
import { dialogRequest, SipPeer } from './sip-peer.ts';

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

export function defineCallExpiry(t: Test, frontEnd: () => FrontEndUnderTest, options: AttackSuiteOptions): void {
  t.test('a call abandoned after ringing expires from the store, and the sweep says so', { skip: options.skip }, async (t) => {
    let ahead = 0;
    const fe = frontEnd();
    const base = options.firstPort;
    const { guard, port } = await fe.start({ port: base, calleePort: base + 2, asPort: base + 3, clock: { now: () => Date.now() + ahead, sweepIntervalMs: 100 } });
    const caller = await SipPeer.start('127.0.0.1', base + 1);
    const callee = await SipPeer.start('127.0.0.2', base + 2);
    t.teardown(async () => {
      caller.close();
      callee.close();
      await guard.stop();
    });
    caller.send(dialogRequest(caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'abandoned-early', body: offer({ channels: [BOOTSTRAP] }) }), { address: fe.guardIp, port });
    const atCallee = await callee.nextRequest('INVITE');
    callee.reply(atCallee, 180, 'Ringing', { toTag: 'callee' });
    await caller.nextResponse(180);
    t.equal(guard.store.size, 1, 'the ringing call is held');
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.equal(guard.store.size, 1, 'and kept while it is young');
    ahead = EARLY_IDLE_MS + 1_000;
    t.ok(await eventually(() => guard.store.size === 0, 3_000), 'once its idle time has passed, the sweep drops it');
    t.ok(guard.logs.some((l) => l.msg === 'abandoned calls expired'), 'and logs it');
  });
}
