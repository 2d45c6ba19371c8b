/**
 * Kamailio running the shipped dispatcher recipe (docker/kamailio/dispatcher.cfg) on loopback,
 * in the foreground (`-DD -E`), with its runtime and working directory in a private folder; the
 * test writes the dispatcher list and overrides the addresses through `-A` defines, so what
 * runs is the file the image ships, not a copy. startKamailio runs another config the same way
 * (bench/kamailio-reference.cfg, the reference proxy of `npm run bench:sip`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const KAMAILIO = '/usr/sbin/kamailio';
export const DISPATCHER_CFG = resolve(import.meta.dirname, '../../docker/kamailio/dispatcher.cfg');
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';
const NEEDED = ['dispatcher', 'tm', 'sl', 'rr', 'pv', 'maxfwd', 'textops', 'siputils', 'xlog'];

/** Why the dispatcher recipe cannot run here, or null when it can. */
export function kamailioDispatcherMissing(): string | null {
  return kamailioMissing(NEEDED);
}

/** Why Kamailio with these modules cannot run here, or null when it can. */
export function kamailioMissing(modules: readonly string[]): string | null {
  if (!existsSync(KAMAILIO)) {
    return `${KAMAILIO} is not installed (Debian package kamailio)`;
  }
  const absent = modules.filter((m) => !existsSync(join(MODULES, `${m}.so`)));
  return absent.length === 0 ? null : `Kamailio modules missing: ${absent.join(', ')}`;
}

export interface DispatcherOptions {
  /** `udp:ip:port` the core sends to. */
  readonly coreListen: string;
  /** `udp:ip:port` the AS sends to. */
  readonly asListen: string;
  /** The guards' SIP URIs (set 1). */
  readonly guards: readonly string[];
  readonly pingIntervalS?: number;
}

export interface RunningKamailio {
  /** The main process's pid (its children, the SIP workers and timers, are its descendants). */
  readonly pid: number;
  readonly output: () => string;
  /** Waits until `pattern` has appeared `times` times in Kamailio's log; false after `ms`. */
  waitFor(pattern: RegExp, ms?: number, times?: number): Promise<boolean>;
  stop(): Promise<void>;
}

export type RunningDispatcher = RunningKamailio;

/** The config parses and its modules load (`kamailio -c`), with the same defines as a run. */
export function checkDispatcherConfig(opts: DispatcherOptions): { ok: boolean; output: string } {
  const { args } = prepare(opts);
  const run = spawnSync(KAMAILIO, ['-c', ...args], { encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

export async function startDispatcher(opts: DispatcherOptions): Promise<RunningDispatcher> {
  const { dir, args } = prepare(opts);
  return startKamailio(dir, args);
}

/**
 * Kamailio in the foreground with `args` (`-f` config, `-A` defines...), its pid file in `dir`;
 * resolves once it listens.
 */
export async function startKamailio(dir: string, args: readonly string[]): Promise<RunningKamailio> {
  const child: ChildProcess = spawn(KAMAILIO, ['-DD', '-E', '-P', join(dir, 'kamailio.pid'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const take = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-400_000);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  const waitFor = async (pattern: RegExp, ms = 20_000, times = 1): Promise<boolean> => {
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    const end = Date.now() + ms;
    while (Date.now() < end && child.exitCode === null) {
      if ((output.match(global)?.length ?? 0) >= times) {
        return true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return (output.match(global)?.length ?? 0) >= times;
  };
  if (!(await waitFor(/Listening on/, 10_000))) {
    child.kill('SIGKILL');
    throw new Error(`kamailio did not start:\n${output}`);
  }
  return {
    pid: child.pid ?? 0,
    output: () => output,
    waitFor,
    stop: async () => {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
    },
  };
}

function prepare(opts: DispatcherOptions): { dir: string; args: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-kamailio-'));
  const list = join(dir, 'dispatcher.list');
  // Set 1 from the core-side socket, set 2 (same guards, same order) from the AS-side one.
  const entries = [
    ...opts.guards.map((uri) => `1 ${uri} 9 0 socket=${opts.coreListen}\n`),
    ...opts.guards.map((uri) => `2 ${uri} 9 0 socket=${opts.asListen}\n`),
  ];
  writeFileSync(list, entries.join(''));
  const args = [
    '-f',
    DISPATCHER_CFG,
    '-Y',
    dir,
    '-w',
    dir,
    '-A',
    `CORE_LISTEN=${opts.coreListen}`,
    '-A',
    `AS_LISTEN=${opts.asListen}`,
    '-A',
    `DS_LIST="${list}"`,
    '-A',
    `DS_PING_INTERVAL=${opts.pingIntervalS ?? 1}`,
    '-A',
    'CHILDREN=2',
  ];
  return { dir, args };
}
