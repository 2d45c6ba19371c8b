/**
 * `npm run fuzz [-- --seed N --runs N --wire-runs N --max-rss-growth-mb N --guard-ip IP --port N]`:
 * mutated INVITE / re-INVITE / UPDATE / BYE / ACK and responses (18x, 200 with SDP answer, 4xx)
 * with DC SDP and multipart bodies, into the parser, the call controller and a live embedded
 * guard on UDP and TCP. Prints the seed first (a failing run is replayed with `--seed`), then
 * inputs, crashes, 500s, peak RSS and the findings with their exact input. Exit 0 when clean,
 * 1 on any finding, 2 on bad arguments.
 */
import { quoteBytes, type FuzzTally } from './findings.ts';
import { runFuzz } from './fuzz-run.ts';
import { minimizeParserInput } from './minimize.ts';

interface Args {
  seed: number;
  runs: number;
  wireRuns: number;
  maxRssGrowthMb: number;
  guardIp: string;
  port: number;
}

const USAGE = 'usage: npm run fuzz -- [--seed N] [--runs N] [--wire-runs N] [--max-rss-growth-mb N] [--guard-ip IP] [--port N]';

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { seed: Math.floor(Math.random() * 2 ** 31), runs: 100_000, wireRuns: 3_000, maxRssGrowthMb: 512, guardIp: '127.0.0.21', port: 35060 };
  const numeric: Record<string, keyof Omit<Args, 'guardIp'>> = {
    '--seed': 'seed',
    '--runs': 'runs',
    '--wire-runs': 'wireRuns',
    '--max-rss-growth-mb': 'maxRssGrowthMb',
    '--port': 'port',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = argv[i + 1];
    if (value === undefined) {
      return `${flag} needs a value`;
    }
    if (flag === '--guard-ip') {
      args.guardIp = value;
      continue;
    }
    const key = numeric[flag];
    if (key === undefined || !/^-?\d+$/.test(value)) {
      return `unknown option or not an integer: ${flag} ${value}`;
    }
    args[key] = Number(value);
  }
  return args;
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MB`;
}

function summary(args: Args, tally: FuzzTally, seconds: number): string[] {
  const { inputs, refused } = tally;
  const total = inputs.parser + inputs.controller + inputs.udp + inputs.tcp;
  const growth = tally.peakRssBytes - tally.baselineRssBytes;
  return [
    `seed: ${args.seed}`,
    `inputs: ${total} (parser ${inputs.parser}, controller ${inputs.controller}, udp ${inputs.udp}, tcp ${inputs.tcp}) in ${seconds.toFixed(0)} s`,
    `refused by the parser (400/413/505/513, fine): parser level ${refused.parser}, controller level ${refused.controller}`,
    `crashes: ${tally.count('crash') + tally.count('uncaught-exception')} (thrown ${tally.count('crash')}, uncaught ${tally.count('uncaught-exception')}), unhandled rejections: ${tally.count('unhandled-rejection')}, guard error-log lines: ${tally.count('guard-error-log')}`,
    `500 responses: ${tally.count('status-500')} (documented Privacy: session;critical 500s excluded: ${tally.documented500})`,
    `ungranted AS channels open toward the core: ${tally.count('policy-bypass')}`,
    `unparseable output: ${tally.count('unparseable-output')}, of which from non-ASCII header bytes ${tally.unparseableFromNonAsciiHeaders} (error answers to unreadable requests echoing what they salvaged, not counted: ${tally.salvagedUnparseable})`,
    `peak RSS: ${mb(tally.peakRssBytes)} (start ${mb(tally.baselineRssBytes)}, growth ${mb(growth)}, bound ${args.maxRssGrowthMb} MB)`,
    `good call after the run: ${tally.goodCall === null ? 'not run (--wire-runs 0)' : tally.goodCall ? 'ok' : 'FAILED'}`,
  ];
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  console.log(`seed: ${args.seed} (replay: npm run fuzz -- --seed ${args.seed} --runs ${args.runs} --wire-runs ${args.wireRuns})`);
  const started = Date.now();
  const tally = await runFuzz({
    seed: args.seed,
    runs: args.runs,
    wireRuns: args.wireRuns,
    wire: { guardIp: args.guardIp, basePort: args.port },
    progress: (line) => console.log(line),
  });
  if (tally.peakRssBytes - tally.baselineRssBytes > args.maxRssGrowthMb * 2 ** 20) {
    tally.add({ level: 'after-run', kind: 'memory', detail: `RSS grew by ${mb(tally.peakRssBytes - tally.baselineRssBytes)}, over ${args.maxRssGrowthMb} MB` });
  }
  for (const f of tally.kept) {
    console.log(`\nFINDING ${f.kind} at ${f.level}: ${f.detail}`);
    if (f.input !== undefined) {
      console.log(`  input: ${quoteBytes(f.input)}`);
      if (f.level === 'parser' && (f.kind === 'crash' || f.kind === 'unparseable-output')) {
        console.log(`  minimized: ${quoteBytes(minimizeParserInput(f.input, f.kind))}`);
      }
    }
    if (f.testCase !== undefined) {
      console.log(`  case: ${JSON.stringify(f.testCase)}`);
    }
  }
  console.log(`\n${summary(args, tally, (Date.now() - started) / 1_000).join('\n')}`);
  return tally.total === 0 ? 0 : 1;
}

process.exitCode = await main();
