/**
 * Preloaded into the guard child of `npm run bench:sip` (`node --import tsx --import
 * ./bench/guard-probe-preload.ts src/cli/dc-guard.ts run …`): records the process's event-loop
 * delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution, as the in-process probe) and CPU time,
 * and writes them as JSON to the file DCG_BENCH_PROBE_FILE names. Without that variable it does
 * nothing. The guard's code is not touched.
 *
 * A snapshot covers the time since the previous SIGUSR2 (or since the process started):
 * - SIGUSR2: write a snapshot and start a new window (the benchmark sends one before and one
 *   after each measured run);
 * - SIGTERM: write a snapshot and leave the signal to the guard, which drains and exits. If
 *   nothing else listens for SIGTERM (the guard has not installed its handler yet, or has already
 *   used its `once` handler), the signal is raised again without this listener, so the process
 *   ends as it would without the preload;
 * - exit: write a last snapshot (synchronously, as 'exit' requires).
 * Each write replaces the file (a temporary file renamed over it), so a reader never sees half.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** What the file holds. Times in ms; CPU is user + system of the whole process (all threads). */
export interface GuardProbeSnapshot {
  readonly seq: number;
  readonly reason: 'SIGUSR2' | 'SIGTERM' | 'exit';
  readonly pid: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Event-loop utilization over the window (0..1): how busy the guard's one thread was. */
  readonly eventLoopUtilization: number;
  readonly loopDelay: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number; readonly meanMs: number; readonly samples: number };
}

export const PROBE_FILE_ENV = 'DCG_BENCH_PROBE_FILE';

const file = process.env[PROBE_FILE_ENV];
if (file !== undefined && file !== '') {
  installProbe(file);
}

function installProbe(target: string): void {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let seq = 0;
  let since = process.hrtime.bigint();
  let cpuSince = process.cpuUsage();
  let eluSince = performance.eventLoopUtilization();

  const write = (reason: GuardProbeSnapshot['reason']): void => {
    const cpu = process.cpuUsage(cpuSince);
    const snapshot: GuardProbeSnapshot = {
      seq: ++seq,
      reason,
      pid: process.pid,
      wallMs: Number(process.hrtime.bigint() - since) / 1e6,
      cpuMs: (cpu.user + cpu.system) / 1000,
      eventLoopUtilization: performance.eventLoopUtilization(eluSince).utilization,
      loopDelay: {
        p50Ms: loop.count === 0 ? 0 : loop.percentile(50) / 1e6,
        p99Ms: loop.count === 0 ? 0 : loop.percentile(99) / 1e6,
        maxMs: loop.count === 0 ? 0 : loop.max / 1e6,
        meanMs: loop.count === 0 ? 0 : loop.mean / 1e6,
        samples: loop.count,
      },
    };
    try {
      writeFileSync(`${target}.tmp`, `${JSON.stringify(snapshot)}\n`);
      renameSync(`${target}.tmp`, target);
    } catch (error) {
      process.stderr.write(`guard-probe-preload: cannot write ${target}: ${(error as Error).message}\n`);
    }
  };
  const newWindow = (): void => {
    loop.reset();
    since = process.hrtime.bigint();
    cpuSince = process.cpuUsage();
    eluSince = performance.eventLoopUtilization();
  };

  process.on('SIGUSR2', () => {
    write('SIGUSR2');
    newWindow();
  });
  const onTerm = (): void => {
    write('SIGTERM');
    if (process.listenerCount('SIGTERM') === 1) {
      // Only this listener: without the preload the signal would have ended the process.
      process.removeListener('SIGTERM', onTerm);
      process.kill(process.pid, 'SIGTERM');
    }
  };
  process.on('SIGTERM', onTerm);
  process.on('exit', () => {
    loop.disable();
    write('exit');
  });
}
