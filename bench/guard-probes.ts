/**
 * How `npm run bench:sip` reads the guard over a run: in its own process (CPU, memory,
 * event-loop delay), or in a child started with bench/guard-probe-preload.ts (snapshots on
 * SIGUSR2, RSS and drachtio-server's CPU from /proc).
 */
import { existsSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { GuardProbeSnapshot } from './guard-probe-preload.ts';

/** What is read of the guard (and of drachtio-server) over one run; null where not read. */
export interface Measured {
  readonly guardCpuPercent: number | null;
  /** The guard's CPU time (user + system, all its threads) over the run, per call placed. */
  readonly guardCpuMsPerCall: number | null;
  readonly guardPeakRssMb: number | null;
  readonly guardPeakHeapMb: number | null;
  /**
   * The guard's event-loop delay (monitorEventLoopDelay at 1 ms resolution, so an idle loop reads
   * about 1 ms): how long a message could wait for the guard's one thread.
   */
  readonly loopDelayP50Ms: number | null;
  readonly loopDelayP99Ms: number | null;
  readonly loopDelayMaxMs: number | null;
  /** drachtio-server's CPU over the run (`full-drachtio` only): the SIP stack's share of the work. */
  readonly stackCpuPercent: number | null;
  readonly stackCpuMsPerCall: number | null;
}

export const NOT_MEASURED: Measured = {
  guardCpuPercent: null,
  guardCpuMsPerCall: null,
  guardPeakRssMb: null,
  guardPeakHeapMb: null,
  loopDelayP50Ms: null,
  loopDelayP99Ms: null,
  loopDelayMaxMs: null,
  stackCpuPercent: null,
  stackCpuMsPerCall: null,
};

/** How the guard's CPU, memory and event-loop delay are read during a run: in this process, or for a child. */
export interface GuardProbe {
  start(): Promise<void>;
  /** `placedMs`: how long the calls took to place (calls / rate), the denominator of the CPU %. */
  stop(placedMs: number, calls: number): Promise<Measured>;
}

export function inProcessProbe(): GuardProbe {
  let cpuBefore = process.cpuUsage();
  let peakRss = 0;
  let peakHeap = 0;
  let sampler: NodeJS.Timeout | undefined;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  return {
    start() {
      cpuBefore = process.cpuUsage();
      peakRss = process.memoryUsage().rss;
      peakHeap = process.memoryUsage().heapUsed;
      sampler = setInterval(() => {
        const usage = process.memoryUsage();
        peakRss = Math.max(peakRss, usage.rss);
        peakHeap = Math.max(peakHeap, usage.heapUsed);
      }, 100);
      loop.reset();
      loop.enable();
      return Promise.resolve();
    },
    stop(placedMs, calls) {
      clearInterval(sampler);
      loop.disable();
      const cpu = process.cpuUsage(cpuBefore);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      return Promise.resolve({
        ...NOT_MEASURED,
        guardCpuPercent: (cpuMs / placedMs) * 100,
        guardCpuMsPerCall: cpuMs / calls,
        guardPeakRssMb: peakRss / 2 ** 20,
        guardPeakHeapMb: peakHeap / 2 ** 20,
        loopDelayP50Ms: loop.percentile(50) / 1e6,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
      });
    },
  };
}

/** CPU ticks (user + system, USER_HZ 100 on Linux) and RSS (MB) of another process, from /proc. */
export function procStat(pid: number): { ticks: () => number; rssMb: () => number } {
  return {
    ticks: () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return Number(fields[11]) + Number(fields[12]);
    },
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
  };
}

/**
 * A guard child started with bench/guard-probe-preload.ts: SIGUSR2 before the run opens a window,
 * SIGUSR2 after it has the preload write the window's CPU time and event-loop delay to
 * `probeFile`; peak RSS is sampled from /proc. `stack`, if given, is drachtio-server's pid: its
 * CPU is read from /proc over the same run.
 */
export function childProbe(pid: number, probeFile: string, stack: number | null): GuardProbe {
  const guard = procStat(pid);
  const stackStat = stack === null ? null : procStat(stack);
  let peak = 0;
  let stackBefore = 0;
  let sampler: NodeJS.Timeout | undefined;
  return {
    async start() {
      await snapshot(pid, probeFile);
      stackBefore = stackStat?.ticks() ?? 0;
      peak = guard.rssMb();
      sampler = setInterval(() => (peak = Math.max(peak, guard.rssMb())), 100);
    },
    async stop(placedMs, calls) {
      clearInterval(sampler);
      const stackMs = stackStat === null ? null : (stackStat.ticks() - stackBefore) * 10;
      const window = await snapshot(pid, probeFile);
      return {
        guardCpuPercent: (window.cpuMs / placedMs) * 100,
        guardCpuMsPerCall: window.cpuMs / calls,
        guardPeakRssMb: peak,
        guardPeakHeapMb: null,
        loopDelayP50Ms: window.loopDelay.p50Ms,
        loopDelayP99Ms: window.loopDelay.p99Ms,
        loopDelayMaxMs: window.loopDelay.maxMs,
        stackCpuPercent: stackMs === null ? null : (stackMs / placedMs) * 100,
        stackCpuMsPerCall: stackMs === null ? null : stackMs / calls,
      };
    },
  };
}

/** Asks the preload in `pid` for a snapshot (SIGUSR2) and waits until it is in the file. */
async function snapshot(pid: number, file: string): Promise<GuardProbeSnapshot> {
  const read = (): GuardProbeSnapshot | null => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as GuardProbeSnapshot) : null);
  const before = read()?.seq ?? 0;
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 5_000;
  for (;;) {
    const now = read();
    if (now !== null && now.seq > before && now.reason === 'SIGUSR2') {
      return now;
    }
    if (Date.now() > deadline) {
      throw new Error(`the guard (pid ${pid}) wrote no probe snapshot to ${file}: was it started with bench/guard-probe-preload.ts?`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

