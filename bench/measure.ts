/** A small, dependency-free timing loop: warm up, then the median of several timed rounds. */
export interface Measurement {
  readonly name: string;
  readonly opsPerSecond: number;
  readonly nsPerOp: number;
}

export async function measure(name: string, op: () => unknown, opsPerRound = 5_000, rounds = 9): Promise<Measurement> {
  let sink: unknown;
  for (let i = 0; i < opsPerRound; i++) {
    sink = await op();
  }
  const perOp: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < opsPerRound; i++) {
      sink = await op();
    }
    perOp.push(Number(process.hrtime.bigint() - start) / opsPerRound);
  }
  if (sink === Symbol.for('never')) {
    console.log('unreachable');
  }
  perOp.sort((a, b) => a - b);
  const nsPerOp = perOp[Math.floor(perOp.length / 2)] ?? 0;
  return { name, opsPerSecond: 1e9 / nsPerOp, nsPerOp };
}
