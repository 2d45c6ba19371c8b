/**
 * A guard as operators run it, for the deployment tests: `node bin/dc-guard.js run --profile X`
 * in a child process (so SIGKILL is a real crash), its JSON log lines collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/dc-guard.js');

export interface GuardProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Waits for a log line `match` accepts; undefined after `ms`. */
  seen(match: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown> | undefined>;
  /** SIGKILL, and the exit. */
  kill(): Promise<void>;
}

export async function startGuardProcess(profileYaml: string, env: Record<string, string> = {}): Promise<GuardProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-guard-'));
  const file = join(dir, 'guard.yaml');
  writeFileSync(file, profileYaml);
  const child = spawn(process.execPath, [BIN, 'run', '--profile', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info', ...env } });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let partial = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  child.stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() !== '') {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // Not a log line: nothing to wait for in it.
        }
      }
    }
  });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  const seen = async (match: (line: Record<string, unknown>) => boolean, ms = 30_000): Promise<Record<string, unknown> | undefined> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const found = lines.find(match);
      if (found !== undefined || child.exitCode !== null) {
        return found;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  };
  const guard: GuardProcess = {
    child,
    lines,
    stderr: () => stderr,
    seen,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  if ((await seen((l) => l.msg === 'guard started')) === undefined) {
    await guard.kill();
    throw new Error(`the guard did not start: ${stderr}`);
  }
  return guard;
}
