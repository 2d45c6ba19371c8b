import t from 'tap';
import { FairShare, UNKNOWN_PEER } from '../../src/front/fair-share.ts';

/** A clock the jobs advance: each job "costs" what it adds. */
function fakeClock(): { now: () => number; spend: (ms: number) => void } {
  let at = 0;
  return { now: () => at, spend: (ms) => (at += ms) };
}

t.test('a peer sending expensive jobs does not hold up a cheap peer: the least-used queue goes next', async (t) => {
  const clock = fakeClock();
  const share = new FairShare({ queuePerPeer: 1000, queueUnknown: 10, now: clock.now, sliceMs: 1e9 });
  t.teardown(() => share.close());
  const order: string[] = [];
  const runs: Promise<unknown>[] = [];
  for (let i = 0; i < 50; i++) {
    runs.push(share.submit('as', async () => { order.push('as'); clock.spend(20); }) ?? Promise.reject(new Error('full')));
  }
  for (let i = 0; i < 10; i++) {
    runs.push(share.submit('core', async () => { order.push('core'); clock.spend(1); }) ?? Promise.reject(new Error('full')));
  }
  await Promise.all(runs);
  const lastCore = order.lastIndexOf('core');
  const asBeforeLastCore = order.slice(0, lastCore).filter((who) => who === 'as').length;
  // Every core job (1 ms) is served before the AS has used more than the core's 10 ms plus one job.
  t.ok(asBeforeLastCore <= 2, `AS jobs run before the core's last one: ${asBeforeLastCore}`);
  t.equal(order.length, 60, 'every job ran');
});

t.test('a full queue refuses at once, for that peer only', async (t) => {
  const share = new FairShare({ queuePerPeer: 3, queueUnknown: 1 });
  t.teardown(() => share.close());
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const accepted = [0, 1, 2, 3].map(() => share.submit('as', () => gate));
  // The first one started at once (it is running, not waiting): three more fit.
  t.ok(accepted.every((p) => p !== null), 'one running plus three waiting');
  t.equal(share.submit('as', () => gate), null, 'the fifth is refused');
  t.not(share.submit('core', async () => 'ok'), null, 'another peer is not');
  t.not(share.submit(UNKNOWN_PEER, async () => 'ok'), null);
  t.equal(share.submit(UNKNOWN_PEER, async () => 'ok'), null, 'unknown sources share one small queue');
  release();
  await Promise.all(accepted.filter((p) => p !== null));
});

t.test('one peer\'s jobs run in arrival order; a failing job rejects its own promise only', async (t) => {
  const share = new FairShare({ queuePerPeer: 100, queueUnknown: 1 });
  t.teardown(() => share.close());
  const seen: number[] = [];
  const failing = share.submit('as', async () => {
    throw new Error('boom');
  });
  const thrown = share.submit('as', () => {
    throw new Error('sync boom');
  });
  const rest = [1, 2, 3, 4].map((n) => share.submit('as', async () => seen.push(n)));
  await t.rejects(failing ?? Promise.resolve(), /boom/);
  await t.rejects(thrown ?? Promise.resolve(), /sync boom/);
  await Promise.all(rest.filter((p) => p !== null));
  t.strictSame(seen, [1, 2, 3, 4]);
});

t.test('a job that never ends is given up on, and the queues go on', async (t) => {
  const stalled: string[] = [];
  const share = new FairShare({ queuePerPeer: 10, queueUnknown: 1, stallMs: 100, onStall: (peer) => stalled.push(peer) });
  // The watch is unref'd (it must not keep a stopping guard alive): something else must here.
  const alive = setInterval(() => {}, 1000);
  t.teardown(() => {
    share.close();
    clearInterval(alive);
  });
  void share.submit('as', () => new Promise(() => {}));
  const after = await share.submit('core', async () => 'served');
  t.equal(after, 'served');
  t.strictSame(stalled, ['as']);
});

t.test('work bounded elsewhere (a response) is queued past the cap, still in its turn', async (t) => {
  const share = new FairShare({ queuePerPeer: 1, queueUnknown: 1 });
  t.teardown(() => share.close());
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const order: string[] = [];
  const running = share.submit('as', () => gate);
  const waiting = share.submit('as', async () => order.push('request'));
  t.equal(share.submit('as', async () => order.push('refused')), null, 'a request past the cap is refused');
  const response = share.submit('as', async () => order.push('response'), 'always');
  t.not(response, null, 'a response is not');
  release();
  await Promise.all([running, waiting, response]);
  t.strictSame(order, ['request', 'response'], 'and runs after what was queued before it');
});

/** A store round trip of `ms` on the fake clock, settled on the next turn of the event loop. */
function roundTrip(clock: { spend: (ms: number) => void }, ms: number): Promise<void> {
  return new Promise((done) => setImmediate(() => (clock.spend(ms), done())));
}

t.test('with jobs in flight, a job waiting on the store does not hold up the next one of the same peer', async (t) => {
  const share = new FairShare({ queuePerPeer: 100, queueUnknown: 1, inFlight: 8 });
  t.teardown(() => share.close());
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const order: string[] = [];
  const waiting = share.submit('as', async (meter) => {
    await meter.wait(gate);
    order.push('first');
  });
  const next = share.submit('as', async () => order.push('second'));
  await next;
  t.strictSame(order, ['second'], 'the second ran while the first waited');
  release();
  await waiting;
  t.strictSame(order, ['second', 'first']);
});

t.test('one peer holds at most half the jobs in flight: another peer\'s job runs while it waits', async (t) => {
  const share = new FairShare({ queuePerPeer: 100, queueUnknown: 1, inFlight: 8 });
  t.teardown(() => share.close());
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = 0;
  const flood = Array.from({ length: 20 }, () =>
    share.submit('as', async (meter) => {
      started++;
      await meter.wait(gate);
    }),
  );
  t.equal(await share.submit('core', async () => 'served'), 'served', 'the core was served while the AS waited');
  t.equal(started, 4, 'the AS had four of the eight in progress');
  release();
  await Promise.all(flood.map((p) => p ?? Promise.reject(new Error('full'))));
  t.equal(started, 20);
});

t.test('a job is charged what it computed, not its store waits', async (t) => {
  const clock = fakeClock();
  const share = new FairShare({ queuePerPeer: 1000, queueUnknown: 10, inFlight: 8, now: clock.now, sliceMs: 1e9 });
  t.teardown(() => share.close());
  await Promise.all(
    Array.from({ length: 5 }, () =>
      share.submit('as', async (meter) => {
        await meter.wait(roundTrip(clock, 50));
        clock.spend(1);
      }) ?? Promise.reject(new Error('full')),
    ),
  );
  t.equal(share.usedBy('as'), 5, 'five jobs of 1 ms each, their 50 ms waits not counted');
  await share.submit('core', async () => {
    await roundTrip(clock, 50);
    clock.spend(1);
  });
  t.equal(share.usedBy('core'), 51, 'a wait not told to the meter is charged as work');
});

t.test('a full queue still takes in-dialog messages up to a quarter more, and no further', async (t) => {
  const share = new FairShare({ queuePerPeer: 8, queueUnknown: 1 });
  t.teardown(() => share.close());
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const accepted = Array.from({ length: 9 }, () => share.submit('as', () => gate));
  t.ok(accepted.every((p) => p !== null), 'one running plus eight waiting: the cap');
  t.equal(share.submit('as', () => gate), null, 'a new request past the cap is refused');
  // An AS that starts everything as an ACK gets the headroom (8 / 4 = 2), then is refused too.
  const inDialog = [1, 2, 3].map(() => share.submit('as', () => gate, 'in-dialog'));
  t.not(inDialog[0], null, 'an ACK past the cap is queued');
  t.not(inDialog[1], null, 'so is a second one');
  t.equal(inDialog[2], null, 'the third is past cap + headroom: refused');
  t.equal(share.submit('as', () => gate), null, 'new requests are still refused');
  t.equal(share.submit('as', async () => 'bounded elsewhere', 'always')?.constructor, Promise, 'work bounded elsewhere is always queued');
  t.not(share.submit('core', async () => 'ok'), null, 'another peer is not touched');
  release();
  await Promise.all([...accepted, ...inDialog].filter((p) => p !== null));
});
