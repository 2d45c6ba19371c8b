/**
 * `npm run bench:sip`: calls (INVITE with audio + DC SDP, 180, 200, ACK, BYE) driven by sipp
 * through the embedded guard, and in the same run from the sipp UAC straight to the sipp UAS as
 * the baseline. Two paths (BENCH_PATHS, default both):
 * - `full`, the path users run: an untrusted AS's INVITE (a bootstrap, a granted and an ungranted
 *   app channel, a P-Asserted-Identity) that the guard strips and shields, full policy, the
 *   decision log on at its default level, the guard in its own process as `dc-guard run` starts it;
 * - `trusted`: a trusted-to-trusted call through a guard in this process with its log off (the
 *   easy path, for comparison). For each rate it places CALLS calls and reads sipp's own statistics; the highest
 * rate with zero failed calls is reported with the INVITE-to-200 median and p99, the guard's CPU
 * and its peak memory. Loopback only: the guard on 127.0.0.20, sipp on 127.0.0.1 and 127.0.0.2.
 *
 * Before each measured run the guard carries max(3,000, 3 s) calls of the same load (a
 * long-running guard is measured in steady state, after V8 has compiled its hot paths). It runs
 * with node's --v8-pool-size=1, as `npm start` and the Docker image do. Environment: CALLS
 * (default 20000), RATES (default "250,500,1000,1250,1500").
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openSync, writeFileSync } from 'node:fs';
import { buildController } from '../src/call/build-controller.ts';
import { EmbeddedGuard } from '../src/front/embedded/embedded-guard.ts';
import { createLogger } from '../src/log/logger.ts';
import { parseProfile } from '../src/profile/load-profile.ts';

const SCENARIOS = resolve(import.meta.dirname, '../test/sipp/scenarios');
const CALLS = Number(process.env.CALLS ?? 20_000);
const WARM_UP_CALLS = 3_000;
const RATES = (process.env.RATES ?? '250,500,1000,1250,1500').split(',').map(Number);
const PATHS = (process.env.BENCH_PATHS ?? 'full,trusted').split(',');
const GUARD = { ip: '127.0.0.20', port: 25060 };
/** The full path's guard, a process of its own. */
const RUN_GUARD = { ip: '127.0.0.21', port: 25070 };
const UAS = { ip: '127.0.0.2', port: 25062 };
const UAC = { ip: '127.0.0.1', port: 25061 };
const AS = { ip: '127.0.0.3', port: 25063 };

/** Who calls whom on a path, and the scenarios that check what the guard did. */
interface CallPath {
  readonly uac: string;
  readonly uas: string;
  readonly from: { readonly ip: string; readonly port: number };
}
const TRUSTED_PATH: CallPath = { uac: 'uac-trusted-bootstrap-expect-200.xml', uas: 'uas-expect-bootstrap-untouched.xml', from: UAC };
const FULL_PATH: CallPath = { uac: 'uac-as-full-policy-expect-200.xml', uas: 'uas-expect-ads-stripped.xml', from: AS };

/** How the guard's CPU and memory are read during a run: in this process, or from /proc for a child. */
interface GuardProbe {
  start(): void;
  stop(wallMs: number): Pick<RunResult, 'guardCpuPercent' | 'guardPeakRssMb' | 'guardPeakHeapMb' | 'loopDelayP99Ms' | 'loopDelayMaxMs'>;
}

function inProcessProbe(): GuardProbe {
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
    },
    stop(wallMs) {
      clearInterval(sampler);
      loop.disable();
      const cpu = process.cpuUsage(cpuBefore);
      return {
        guardCpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
        guardPeakRssMb: peakRss / 2 ** 20,
        guardPeakHeapMb: peakHeap / 2 ** 20,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
      };
    },
  };
}

/** CPU ticks (user + system, USER_HZ 100 on Linux) and RSS of another process, from /proc. */
function childProbe(pid: number): GuardProbe {
  const ticks = (): number => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]);
  };
  const rssMb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  let before = 0;
  let peak = 0;
  let sampler: NodeJS.Timeout | undefined;
  return {
    start() {
      before = ticks();
      peak = rssMb();
      sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 100);
    },
    stop(wallMs) {
      clearInterval(sampler);
      return { guardCpuPercent: (((ticks() - before) * 10) / wallMs) * 100, guardPeakRssMb: peak, guardPeakHeapMb: null, loopDelayP99Ms: null, loopDelayMaxMs: null };
    },
  };
}

interface RunResult {
  readonly rate: number;
  readonly successful: number;
  readonly failed: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly guardCpuPercent: number | null;
  readonly guardPeakRssMb: number | null;
  readonly guardPeakHeapMb: number | null;
  /** p99 of the guard's event-loop delay: how long a message could wait for the guard's one thread. */
  readonly loopDelayP99Ms: number | null;
  readonly loopDelayMaxMs: number | null;
}

function sipp(args: string[], cwd: string): { done: Promise<number | null>; stop: () => void } {
  const command = [...args, '-nostdin', '-buff_size', '4194304', '-timer_resol', '1'];
  const child = spawn('sipp', command, { cwd, stdio: 'ignore' });
  return { done: new Promise((resolve) => child.on('close', resolve)), stop: () => child.kill('SIGTERM') };
}

/** INVITE-to-200 times (ms, sipp's resolution) from its -trace_rtt file: Date_ms;response_time_ms;rtd_no, one row per call. */
function responseTimes(cwd: string): number[] {
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

/** Final successful/failed call counters from sipp's -trace_stat CSV. */
function callCounts(cwd: string): { successful: number; failed: number } {
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;
}

async function run(rate: number, target: string, path: CallPath, probe: GuardProbe | null, calls = CALLS): Promise<RunResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'dcg-load-'));
  const uas = sipp(['-sf', join(SCENARIOS, path.uas), '-i', UAS.ip, '-p', String(UAS.port)], cwd);
  await new Promise((r) => setTimeout(r, 300));
  const started = process.hrtime.bigint();
  probe?.start();
  const uac = sipp(
    [
      target,
      '-sf',
      join(SCENARIOS, path.uac),
      '-i',
      path.from.ip,
      '-p',
      String(path.from.port),
      '-s',
      'bob',
      '-r',
      String(rate),
      '-m',
      String(calls),
      '-l',
      String(rate * 5),
      '-timeout',
      `${Math.ceil(calls / rate) + 60}s`,
      '-trace_rtt',
      '-rtt_freq',
      String(calls),
      '-trace_stat',
      '-fd',
      '3600',
    ],
    cwd,
  );
  await uac.done;
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const measured = probe?.stop(wallMs) ?? { guardCpuPercent: null, guardPeakRssMb: null, guardPeakHeapMb: null, loopDelayP99Ms: null, loopDelayMaxMs: null };
  uas.stop();
  await uas.done;
  const times = responseTimes(cwd).sort((a, b) => a - b);
  const counts = callCounts(cwd);
  return { rate, ...counts, medianMs: percentile(times, 0.5), p99Ms: percentile(times, 0.99), ...measured };
}

/** Baseline, warm-up and measured run per rate; a long-running guard is measured in steady state. */
async function measure(path: CallPath, guardAt: { ip: string; port: number }, probe: GuardProbe): Promise<{ baseline: RunResult; guarded: RunResult }[]> {
  const rows: { baseline: RunResult; guarded: RunResult }[] = [];
  for (const rate of RATES) {
    const baseline = await run(rate, `${UAS.ip}:${UAS.port}`, { ...path, uas: path === FULL_PATH ? TRUSTED_PATH.uas : path.uas, uac: path === FULL_PATH ? TRUSTED_PATH.uac : path.uac }, null);
    // Right before each measured run the guard carries a few seconds of the same load, so V8 has
    // compiled the hot paths and sized its heap (both decay while it sits idle during the baseline).
    await run(rate, `${guardAt.ip}:${guardAt.port}`, path, null, Math.max(WARM_UP_CALLS, rate * 3));
    const guarded = await run(rate, `${guardAt.ip}:${guardAt.port}`, path, probe);
    rows.push({ baseline, guarded });
    console.log(JSON.stringify({ rate, baseline, guarded }));
  }
  return rows;
}

function report(title: string, rows: readonly { baseline: RunResult; guarded: RunResult }[]): void {
  console.log(`\n${title}`);
  console.log('| calls/s | direct: failed | direct: median / p99 ms | guard: failed | guard: median / p99 ms | added p99 ms | guard CPU % of one core | guard event-loop delay p99 / max ms | guard peak RSS / heap MB |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { baseline: b, guarded: g } of rows) {
    console.log(
      `| ${g.rate} | ${b.failed} | ${b.medianMs.toFixed(2)} / ${b.p99Ms.toFixed(2)} | ${g.failed} | ${g.medianMs.toFixed(2)} / ${g.p99Ms.toFixed(2)} | ${(g.p99Ms - b.p99Ms).toFixed(2)} | ${g.guardCpuPercent?.toFixed(0) ?? '-'} | ${g.loopDelayP99Ms?.toFixed(1) ?? '-'} / ${g.loopDelayMaxMs?.toFixed(0) ?? '-'} | ${g.guardPeakRssMb?.toFixed(0) ?? '-'} / ${g.guardPeakHeapMb?.toFixed(0) ?? '-'} |`,
    );
  }
  const clean = rows.filter((r) => r.guarded.failed === 0 && r.guarded.successful === CALLS).map((r) => r.guarded.rate);
  console.log(`\nhighest rate with zero failed calls through the guard: ${clean.length === 0 ? 'none' : Math.max(...clean)} calls/s`);
}

/** The full path's guard, started as a user starts it, with the decision log at its default level. */
async function startRunGuard(): Promise<{ pid: number; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-bench-run-'));
  const file = join(dir, 'profile.yaml');
  writeFileSync(
    file,
    `
guard: { mode: enforce, on_unauthorized_dc: strip }
sip:
  listen: ["udp:${RUN_GUARD.ip}:${RUN_GUARD.port}"]
  next_hop: "sip:${UAS.ip}:${UAS.port}"
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32", "127.0.0.2/32"] } }
  - id: weather-as
    trusted: false
    uri: "sip:${AS.ip}:${AS.port}"
    match: { source: ["${AS.ip}/32"] }
    identity: anonymous
    grants: { bootstrap: true, apps: ["com.example.weather"], max_channels: 8, max_bandwidth_kbps: 512, modify: own, terminate: true }
`,
  );
  const root = resolve(import.meta.dirname, '..');
  const log = join(dir, 'guard.log');
  const out = openSync(log, 'w');
  const child = spawn(process.execPath, ['--v8-pool-size=1', '--import', 'tsx', 'src/cli/dc-guard.ts', 'run', '--profile', file], {
    cwd: root,
    stdio: ['ignore', out, 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  const deadline = Date.now() + 15_000;
  while (!readFileSync(log, 'utf8').includes('"guard started"')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error('dc-guard run did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`full path: guard log at ${log}`);
  return {
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${CALLS} calls per run, ${new Date().toISOString()}`);
  if (PATHS.includes('full')) {
    const guard = await startRunGuard();
    const rows = await measure(FULL_PATH, RUN_GUARD, childProbe(guard.pid));
    await guard.stop();
    report('full path: untrusted AS, ungranted channel stripped, PAI dropped, decision log on, `dc-guard run` in its own process', rows);
  }
  if (PATHS.includes('trusted')) {
    const profile = parseProfile(
      `
guard: { mode: enforce }
sip:
  listen: ["udp:${GUARD.ip}:${GUARD.port}"]
  next_hop: "sip:${UAS.ip}:${UAS.port}"
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32", "127.0.0.2/32"] } }
`,
      'bench-profile.yaml',
    );
    const quiet = new Writable({ write: (_c, _e, cb) => cb() });
    const guard = await EmbeddedGuard.start({
      profile,
      controller: buildController(profile, { env: {} }),
      logger: createLogger({ level: 'warn', destination: quiet }),
    });
    const rows = await measure(TRUSTED_PATH, GUARD, inProcessProbe());
    await guard.stop(1_000);
    report('trusted path: core to core, guard in this process, log off', rows);
  }
}

await main();
