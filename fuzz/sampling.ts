/**
 * Streams fast-check values in seeded batches: a fuzz run counts every failure instead of
 * stopping at the first, and never holds 100,000 inputs at once. Batch `b` of level `salt` is
 * drawn with its own seed derived from the run's seed, so `--seed` replays a run exactly.
 */
import fc from 'fast-check';

const BATCH = 250;

export function batchSeed(seed: number, salt: number, batch: number): number {
  // 32-bit mix (splitmix-like) so neighbouring seeds and batches give unrelated streams.
  let x = (seed ^ Math.imul(salt + 1, 0x9e3779b1) ^ Math.imul(batch + 1, 0x85ebca6b)) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) | 0;
}

export async function forEachSample<T>(
  arb: fc.Arbitrary<T>,
  opts: { seed: number; salt: number; runs: number },
  each: (value: T, index: number) => Promise<void> | void,
  afterBatch: (done: number) => Promise<void> | void = () => undefined,
): Promise<void> {
  let index = 0;
  for (let batch = 0; index < opts.runs; batch += 1) {
    const size = Math.min(BATCH, opts.runs - index);
    for (const value of fc.sample(arb, { seed: batchSeed(opts.seed, opts.salt, batch), numRuns: size })) {
      await each(value, index);
      index += 1;
    }
    await afterBatch(index);
  }
}
