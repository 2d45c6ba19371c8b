/** DropSummariser on a fake clock: one summary per interval, counts per kind, a few samples. */
import t from 'tap';
import { DropSummariser, type DropSummary } from '../../src/transport/drop-summary.ts';

function summariser(intervalMs = 10_000): { drops: DropSummariser; out: DropSummary[]; clock: { now: number } } {
  const clock = { now: 1_000 };
  const out: DropSummary[] = [];
  const drops = new DropSummariser({ intervalMs, now: () => clock.now, emit: (s) => out.push(s) });
  return { drops, out, clock };
}

t.test('a flood inside one interval is one summary, emitted once the interval is over', async (t) => {
  const { drops, out, clock } = summariser();
  for (let i = 0; i < 50_000; i++) {
    drops.note('source-refused', `udp 127.0.0.${9 + (i % 7)}:5060`);
    if (i % 10 === 0) {
      drops.note('framing-error', 'tcp 127.0.0.5:40000');
    }
    clock.now += 0.1; // 50,000 drops in 5 s
  }
  drops.tick();
  t.same(out, [], 'nothing before the interval is over');
  clock.now = 1_000 + 10_000;
  drops.tick();
  t.equal(out.length, 1, 'one summary for the interval');
  const [summary] = out;
  t.equal(summary?.total, 55_000);
  t.equal(summary?.kinds['source-refused']?.count, 50_000);
  t.equal(summary?.kinds['framing-error']?.count, 5_000);
  t.same(summary?.kinds['source-refused']?.samples, ['udp 127.0.0.9:5060', 'udp 127.0.0.10:5060', 'udp 127.0.0.11:5060'], 'the first three distinct sources');
  t.same(summary?.kinds['framing-error']?.samples, ['tcp 127.0.0.5:40000'], 'samples are distinct');
  t.equal(summary?.since, 1_000);
  t.equal(summary?.until, 11_000);
  drops.tick();
  clock.now += 60_000;
  drops.tick();
  t.equal(out.length, 1, 'a quiet interval says nothing');
});

t.test('a drop after the interval closes the old one first; counts start again', async (t) => {
  const { drops, out, clock } = summariser(1_000);
  drops.note('header-deadline', 'tcp 127.0.0.6:1');
  clock.now += 1_500;
  drops.note('header-deadline', 'tcp 127.0.0.7:1');
  t.equal(out.length, 1);
  t.equal(out[0]?.kinds['header-deadline']?.count, 1);
  drops.flush();
  t.equal(out.length, 2, 'flush emits what is counted, interval over or not');
  t.same(out[1]?.kinds['header-deadline'], { count: 1, samples: ['tcp 127.0.0.7:1'] });
  drops.flush();
  t.equal(out.length, 2, 'nothing counted: nothing emitted');
});

t.test('a throwing emitter does not keep the counts', async (t) => {
  const clock = { now: 0 };
  let calls = 0;
  const drops = new DropSummariser({
    intervalMs: 10,
    now: () => clock.now,
    emit: () => {
      calls++;
      throw new Error('logger down');
    },
  });
  drops.note('write-queue-full');
  t.doesNotThrow(() => drops.flush());
  drops.note('write-queue-full');
  clock.now = 100;
  t.doesNotThrow(() => drops.tick());
  t.equal(calls, 2);
});
