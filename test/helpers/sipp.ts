import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SCENARIOS = resolve(import.meta.dirname, '../sipp/scenarios');

/** Whether the sipp binary (Debian package sip-tester) is on PATH. */
export const SIPP_AVAILABLE = spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;

export interface SippOptions {
  readonly scenario: string;
  readonly localIp: string;
  readonly localPort: number;
  /** host:port of the guard, for a UAC. */
  readonly remote?: string;
  readonly service?: string;
  readonly transport?: 'u1' | 't1';
  readonly calls?: number;
  readonly timeoutSeconds?: number;
  readonly extraArgs?: readonly string[];
}

export interface SippResult {
  readonly code: number | null;
  readonly output: string;
  /** Contents of sipp's error trace: what failed, when code is not 0. */
  readonly errors: string;
}

/** Runs one sipp to completion (it exits 0 only when every call passed every check of its scenario). */
export function runSipp(options: SippOptions): Promise<SippResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'dcg-sipp-'));
  const args = [
    ...(options.remote === undefined ? [] : [options.remote]),
    // `builtin:uac` is sipp's own scenario (`sipp -sn uac`), as a new user runs a load test.
    ...(options.scenario.startsWith('builtin:') ? ['-sn', options.scenario.slice('builtin:'.length)] : ['-sf', join(SCENARIOS, options.scenario)]),
    '-i',
    options.localIp,
    '-p',
    String(options.localPort),
    '-t',
    options.transport ?? 'u1',
    '-m',
    String(options.calls ?? 1),
    '-s',
    options.service ?? 'bob',
    '-timeout',
    `${options.timeoutSeconds ?? 15}s`,
    '-timeout_error',
    '-trace_err',
    '-nostdin',
    ...(options.extraArgs ?? []),
  ];
  return new Promise((done) => {
    const child = spawn('sipp', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('latin1')).slice(-20_000);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('latin1')).slice(-20_000);
    });
    child.on('close', (code) => {
      const errors = readdirSync(cwd)
        .filter((f) => f.endsWith('_errors.log'))
        .map((f) => readFileSync(join(cwd, f), 'latin1'))
        .join('\n');
      done({ code, output, errors });
    });
  });
}

/** Lets a sipp UAS bind before the UAC starts sending. */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
