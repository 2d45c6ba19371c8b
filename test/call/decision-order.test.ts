import t from 'tap';
import { buildController } from '../../src/call/build-controller.ts';
import { SequentialIdSource } from '../../src/call/id-source.ts';
import type { WaitMeter } from '../../src/call/wait-meter.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import type { CallState } from '../../src/state/call-state.ts';
import type { IndexedLeg, LegAddress } from '../../src/state/call-store.ts';
import { MemoryCallStore } from '../../src/state/memory-call-store.ts';
import { CORE, coreInvite } from '../helpers/controller-fixture.ts';
import { labProfile, PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';

const roundTrip = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A shared store whose reads and writes take a round trip; the first write (the first INVITE's) a long one. */
class SlowSharedStore extends MemoryCallStore {
  readonly shared = true as const;
  #writes = 0;

  override async lookup(key: string): Promise<LegAddress | undefined> {
    await roundTrip(1);
    return super.lookup(key);
  }

  override async put(call: CallState, index?: readonly IndexedLeg[]): Promise<boolean> {
    await roundTrip(this.#writes++ === 0 ? 40 : 1);
    return super.put(call, index);
  }
}

class CountingMeter implements WaitMeter {
  waits = 0;
  wait<T>(pending: Promise<T>): Promise<T> {
    this.waits++;
    return pending;
  }
}

const cancelOf = (invite: string): SipRequest =>
  parseSipMessage(invite.replace(/^INVITE/, 'CANCEL').replace('CSeq: 10 INVITE', 'CSeq: 10 CANCEL').replace(/Content-Type[\s\S]*$/, '\r\n')) as SipRequest;

t.test('on a shared store, a CANCEL started while its INVITE waits on the store is decided after it, not before', async (t) => {
  const store = new SlowSharedStore({ freeze: true });
  const controller = buildController(labProfile(), { env: PSEUDONYM_ENV, store, ids: new SequentialIdSource(), now: () => 0 });
  t.ok(controller.decisionsInFlight > 1, 'decisions may overlap on a shared store');
  const invite = coreInvite({ callId: 'order-1@10.0.0.1' });
  const meter = new CountingMeter();
  const finished: string[] = [];
  const first = controller.handleRequest(parseSipMessage(invite) as SipRequest, CORE).then((o) => (finished.push('INVITE'), o));
  const second = controller.handleRequest(cancelOf(invite), CORE, meter).then((o) => (finished.push('CANCEL'), o));
  const [inviteOutcome, cancelOutcome] = await Promise.all([first, second]);
  t.equal(inviteOutcome.kind, 'forward', 'the INVITE went on');
  t.strictSame(finished, ['INVITE', 'CANCEL'], 'decided in the order they came');
  // Decided first, the CANCEL would have found no call and been answered 481.
  t.not(cancelOutcome.kind === 'reply' ? cancelOutcome.response.status : null, 481, 'the CANCEL found its INVITE');
  t.equal(cancelOutcome.kind, 'forward', 'and followed it downstream');
  t.ok(meter.waits >= 2, 'its wait for the INVITE and its own store round trips were reported as waiting');
});

t.test('different calls are not held behind each other', async (t) => {
  const store = new SlowSharedStore({ freeze: true });
  const controller = buildController(labProfile(), { env: PSEUDONYM_ENV, store, ids: new SequentialIdSource(), now: () => 0 });
  const finished: string[] = [];
  const slow = controller.handleRequest(parseSipMessage(coreInvite({ callId: 'slow@10.0.0.1' })) as SipRequest, CORE).then(() => finished.push('slow'));
  const fast = controller.handleRequest(parseSipMessage(coreInvite({ callId: 'fast@10.0.0.1' })) as SipRequest, CORE).then(() => finished.push('fast'));
  await Promise.all([slow, fast]);
  t.strictSame(finished, ['fast', 'slow'], 'the other call was decided while the first waited');
});

t.test('calls in memory: one decision at a time', async (t) => {
  const controller = buildController(labProfile(), { env: PSEUDONYM_ENV, store: new MemoryCallStore({ freeze: true }), ids: new SequentialIdSource(), now: () => 0 });
  t.equal(controller.decisionsInFlight, 1);
});
