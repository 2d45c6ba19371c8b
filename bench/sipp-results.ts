/** What a sipp run leaves in its directory, read back: INVITE-to-200 times and the call counters. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * sipp writes its -trace_rtt rows every this many calls: a run whose last calls failed loses at
 * most these (with the whole run's count, one failed call lost every row and the p99 with them).
 */
export const RTT_DUMP_EVERY = 100;

/** INVITE-to-200 times (ms, sipp's resolution) from its -trace_rtt file: Date_ms;response_time_ms;rtd_no, one row per call. */
export function responseTimes(cwd: string): number[] {
  const file = readdirSync(cwd).find((f) => f.endsWith('_rtt.csv'));
  if (file === undefined) {
    return [];
  }
  return readFileSync(join(cwd, file), 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => Number(line.split(';')[1]))
    .filter((v) => Number.isFinite(v));
}

/** Final successful/failed call counters from sipp's -trace_stat CSV (the callee's too: a check of what reached it fails a call only there; one failed at both ends counts twice). */
export function callCounts(cwd: string): { successful: number; failed: number } {
  const file = readdirSync(cwd).find((f) => f.endsWith('_.csv') || (f.endsWith('.csv') && !f.endsWith('_rtt.csv')));
  if (file === undefined) {
    return { successful: 0, failed: -1 };
  }
  const lines = readFileSync(join(cwd, file), 'utf8').trim().split('\n');
  const header = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  const pick = (name: string): number => Number(last[header.indexOf(name)] ?? -1);
  return { successful: pick('SuccessfulCall(C)'), failed: pick('FailedCall(C)') };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;
}
