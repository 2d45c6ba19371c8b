/**
 * `npm run bench:sip`: calls (INVITE with audio + DC SDP, 180, 200, ACK, BYE) driven by sipp
 * through the embedded guard, and in the same run from the sipp UAC straight to the sipp UAS as
 * the baseline. For each rate it places CALLS calls and reads sipp's own statistics; the highest
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
import { buildController } from '../src/call/build-controller.ts';
import { EmbeddedGuard } from '../src/front/embedded/embedded-guard.ts';
import { createLogger } from '../src/log/logger.ts';
import { parseProfile } from '../src/profile/load-profile.ts';

const SCENARIOS = resolve(import.meta.dirname, '../test/sipp/scenarios');
const CALLS = Number(process.env.CALLS ?? 20_000);
const WARM_UP_CALLS = 3_000;
const RATES = (process.env.RATES ?? '250,500,1000,1250,1500').split(',').map(Number);
const GUARD = { ip: '127.0.0.20', port: 25060 };
const UAS = { ip: '127.0.0.2', port: 25062 };
const UAC = { ip: '127.0.0.1', port: 25061 };

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

async function run(rate: number, target: string, measureGuard: boolean, calls = CALLS): Promise<RunResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'dcg-load-'));
  const uas = sipp(['-sf', join(SCENARIOS, 'uas-expect-bootstrap-untouched.xml'), '-i', UAS.ip, '-p', String(UAS.port)], cwd);
  await new Promise((r) => setTimeout(r, 300));
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 100);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const uac = sipp(
    [
      target,
      '-sf',
      join(SCENARIOS, 'uac-trusted-bootstrap-expect-200.xml'),
      '-i',
      UAC.ip,
      '-p',
      String(UAC.port),
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
  clearInterval(sampler);
  loop.disable();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  uas.stop();
  await uas.done;
  const times = responseTimes(cwd).sort((a, b) => a - b);
  const counts = callCounts(cwd);
  return {
    rate,
    ...counts,
    medianMs: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    guardCpuPercent: measureGuard ? ((cpu.user + cpu.system) / 1000 / wallMs) * 100 : null,
    guardPeakRssMb: measureGuard ? peakRss / 2 ** 20 : null,
    guardPeakHeapMb: measureGuard ? peakHeap / 2 ** 20 : null,
    loopDelayP99Ms: measureGuard ? loop.percentile(99) / 1e6 : null,
    loopDelayMaxMs: measureGuard ? loop.max / 1e6 : null,
  };
}

async function main(): Promise<void> {
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
  const rows: { baseline: RunResult; guarded: RunResult }[] = [];
  for (const rate of RATES) {
    const baseline = await run(rate, `${UAS.ip}:${UAS.port}`, false);
    // A long-running guard is measured in steady state: right before each measured run it
    // carries a few seconds of the same load, so V8 has compiled the hot paths and sized its
    // heap (both decay while the guard sits idle during the baseline run).
    await run(rate, `${GUARD.ip}:${GUARD.port}`, false, Math.max(WARM_UP_CALLS, rate * 3));
    const guarded = await run(rate, `${GUARD.ip}:${GUARD.port}`, true);
    rows.push({ baseline, guarded });
    console.log(JSON.stringify({ rate, baseline, guarded }));
  }
  await guard.stop(1_000);

  console.log(`\nnode ${process.version}, ${CALLS} calls per run, ${new Date().toISOString()}`);
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

await main();
