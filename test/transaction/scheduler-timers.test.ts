/** FakeScheduler semantics and the RFC 3261 Table 4 / RFC 6026 timer values. */
import fc from 'fast-check';
import t from 'tap';
import { realScheduler } from '../../src/transaction/scheduler.ts';
import { FakeScheduler } from '../helpers/fake-scheduler.ts';
import { timerBase, timerTable, transactionTimers } from '../../src/transaction/timers.ts';

t.test('FakeScheduler fires in due order, with now() at the due time', async (t) => {
  const clock = new FakeScheduler(1_000);
  const fired: string[] = [];
  clock.set(300, () => fired.push(`c@${clock.now()}`));
  clock.set(100, () => fired.push(`a@${clock.now()}`));
  clock.set(100, () => fired.push(`b@${clock.now()}`));
  clock.advance(99);
  t.same(fired, []);
  clock.advance(1);
  t.same(fired, ['a@1100', 'b@1100'], 'same due time: in order set');
  clock.advance(1_000);
  t.same(fired, ['a@1100', 'b@1100', 'c@1300']);
  t.equal(clock.now(), 2_100);
});

t.test('FakeScheduler: clear, re-arming inside a callback, pending, runAll', async (t) => {
  const clock = new FakeScheduler();
  const fired: number[] = [];
  const h = clock.set(10, () => fired.push(-1));
  clock.clear(h);
  clock.clear(h);
  t.equal(clock.pending, 0);
  let n = 0;
  const tick = (): void => {
    fired.push(clock.now());
    if (++n < 4) {
      clock.set(10, tick);
    }
  };
  clock.set(10, tick);
  clock.advance(25);
  t.same(fired, [10, 20], 'a timer set by a callback fires in the same advance when due');
  t.equal(clock.pending, 1);
  clock.runAll();
  t.same(fired, [10, 20, 30, 40]);
  t.equal(clock.pending, 0);
  const loop = (): void => {
    clock.set(1, loop);
  };
  clock.set(1, loop);
  t.throws(() => clock.runAll(50), /more than 50/);
});

t.test('realScheduler runs and clears real timers', async (t) => {
  const fired = await new Promise<boolean>((resolve) => {
    const h = realScheduler.set(1, () => resolve(false));
    realScheduler.clear(h);
    realScheduler.set(5, () => resolve(true));
  });
  t.equal(fired, true);
  t.ok(Math.abs(realScheduler.now() - Date.now()) < 50);
});

t.test('default timers over UDP (RFC 3261 Table 4, RFC 6026)', async (t) => {
  const udp = transactionTimers(timerBase(), false);
  t.same(udp, {
    T1: 500,
    T2: 4000,
    T4: 5000,
    A: 500,
    B: 32000,
    D: 32000,
    E: 500,
    F: 32000,
    G: 500,
    H: 32000,
    I: 5000,
    J: 32000,
    K: 5000,
    L: 32000,
    M: 32000,
    ok2xx: 500,
  });
});

t.test('over TCP nothing is retransmitted and D, I, J, K are zero', async (t) => {
  const tcp = timerTable().tcp;
  t.equal(tcp.A, null);
  t.equal(tcp.E, null);
  t.equal(tcp.G, null);
  t.equal(tcp.ok2xx, null);
  t.same([tcp.D, tcp.I, tcp.J, tcp.K], [0, 0, 0, 0]);
  t.same([tcp.B, tcp.F, tcp.H, tcp.L, tcp.M], [32000, 32000, 32000, 32000, 32000]);
});

t.test('custom T1/T2/T4 are derived everywhere; D never below 32 s nor 64*T1', async (t) => {
  const fast = timerTable({ T1: 100, T2: 400, T4: 1000 }).udp;
  t.same([fast.A, fast.B, fast.E, fast.F, fast.H, fast.J, fast.K, fast.I], [100, 6400, 100, 6400, 6400, 6400, 1000, 1000]);
  t.equal(fast.D, 32000);
  t.equal(timerTable({ T1: 1000, T2: 4000 }).udp.D, 64000);
  t.throws(() => timerBase({ T1: 0 }), RangeError);
  t.throws(() => timerBase({ T1: Number.NaN }), RangeError);
  t.throws(() => timerBase({ T1: 5000, T2: 4000 }), RangeError);
});

t.test('FakeScheduler matches a reference model under random set/clear/advance', async (t) => {
  type Op = { kind: 'set'; ms: number } | { kind: 'clear'; index: number } | { kind: 'advance'; ms: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), ms: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant('clear' as const), index: fc.nat(60) }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const clock = new FakeScheduler();
      const fired: number[] = [];
      const expected: number[] = [];
      const model: Array<{ id: number; at: number; live: boolean }> = [];
      const handles: Array<ReturnType<FakeScheduler['set']>> = [];
      let now = 0;
      for (const o of ops) {
        if (o.kind === 'set') {
          const id = model.length;
          model.push({ id, at: now + o.ms, live: true });
          handles.push(clock.set(o.ms, () => fired.push(id)));
        } else if (o.kind === 'clear') {
          const h = handles[o.index];
          const m = model[o.index];
          if (h !== undefined && m !== undefined) {
            clock.clear(h);
            m.live = false;
          }
        } else {
          now += o.ms;
          const due = model.filter((m) => m.live && m.at <= now).sort((a, b) => a.at - b.at || a.id - b.id);
          for (const m of due) {
            m.live = false;
            expected.push(m.id);
          }
          clock.advance(o.ms);
        }
      }
      return JSON.stringify(fired) === JSON.stringify(expected) && clock.pending === model.filter((m) => m.live).length;
    }),
    { numRuns: 300 },
  );
  t.pass('heap order equals sorted (due, insertion) order');
});
