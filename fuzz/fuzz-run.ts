/**
 * One fuzz run over the three levels, in order: parser, controller, then the live embedded
 * guard on UDP and TCP (with a good call after it). Used by the `npm run fuzz` command and by
 * the CI slice; returns the tally, prints nothing.
 */
import { FuzzTally } from './findings.ts';
import { controllerProfile, runControllerCase } from './controller-level.ts';
import { fuzzCaseArb } from './fuzz-case.ts';
import { parserCaseArb, runParserCase } from './parser-level.ts';
import { forEachSample } from './sampling.ts';
import { standaloneSeeds } from './sip-templates.ts';
import { runWireLevel, type WireOptions } from './wire-level.ts';

export interface FuzzOptions {
  readonly seed: number;
  /** Cases for the parser and controller levels, half each (a controller case sends one to three mutated messages). */
  readonly runs: number;
  /** Cases on the wire, about half on UDP, half on TCP; 0 skips the live guard (and the good call). */
  readonly wireRuns: number;
  readonly wire: Omit<WireOptions, 'seed' | 'runs'>;
  /** Progress, e.g. every few thousand inputs. */
  readonly progress?: (line: string) => void;
}

/** Whatever escapes every handler during the run is a finding (and does not end the run). */
function catchEscapes(tally: FuzzTally): () => void {
  const uncaught = (error: Error): void => tally.add({ level: 'process', kind: 'uncaught-exception', detail: error.stack ?? String(error) });
  const unhandled = (reason: unknown): void =>
    tally.add({ level: 'process', kind: 'unhandled-rejection', detail: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) });
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', unhandled);
  return () => {
    process.off('uncaughtException', uncaught);
    process.off('unhandledRejection', unhandled);
  };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzTally> {
  const tally = new FuzzTally();
  const release = catchEscapes(tally);
  try {
    await runLevels(options, tally);
  } finally {
    release();
  }
  return tally;
}

async function runLevels(options: FuzzOptions, tally: FuzzTally): Promise<void> {
  const progress = options.progress ?? (() => undefined);
  const parserRuns = Math.ceil(options.runs / 2);
  const controllerRuns = options.runs - parserRuns;
  const seeds = standaloneSeeds();
  const report = (level: string) => (done: number) => {
    tally.sampleRss();
    if (done % 10_000 === 0) {
      progress(`${level}: ${done} inputs, ${tally.total} findings, rss ${(tally.peakRssBytes / 2 ** 20).toFixed(0)} MB`);
    }
  };

  await forEachSample(parserCaseArb(seeds.length), { seed: options.seed, salt: 1, runs: parserRuns }, (c) => runParserCase(seeds, c, tally), report('parser'));

  const profile = controllerProfile();
  await forEachSample(fuzzCaseArb, { seed: options.seed, salt: 2, runs: controllerRuns }, (c, i) => runControllerCase(profile, c, i, tally, seeds), report('controller'));

  if (options.wireRuns > 0) {
    await runWireLevel({ ...options.wire, seed: options.seed, runs: options.wireRuns }, tally, progress);
  }
  tally.sampleRss();
}
