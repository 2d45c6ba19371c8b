/**
 * `npm run bench:sip`: calls (INVITE with audio + DC SDP, 180, 200, ACK, BYE) driven by sipp
 * through the guard, and in the same run from the sipp UAC straight to the sipp UAS as the
 * baseline. Paths (BENCH_PATHS, default `full,trusted`, and `full-drachtio` when DRACHTIO_BIN is set):
 * - `full`, the path users run: an untrusted AS's INVITE (a bootstrap, a granted and an ungranted
 *   app channel, a P-Asserted-Identity) that the guard strips and shields, full policy, the
 *   decision log on at its default level, the guard in its own process as `dc-guard run` starts it;
 * - `full-drachtio`: the same through the drachtio front end (`dc-guard run --transport
 *   drachtio`) of a drachtio-server this benchmark starts from DRACHTIO_BIN, as the tests do
 *   (test/helpers/drachtio-server.ts); reported in the same table as `full`;
 * - `kamailio-proxy` (bench/kamailio-reference.ts): the reference, Kamailio's stateful proxy making the same edits;
 * - `node-relay` (bench/udp-relay.ts): the floor, a Node process that relays each datagram unread
 *   (the trusted path's calls): what Node and the kernel cost per call before any SIP work;
 * - `full-redis` and `kamailio-2` (bench/scale-out-paths.ts): the full path with the calls in
 *   Redis, and through two such guards behind Kamailio's dispatcher; in the default paths when
 *   redis-server (and Kamailio) are installed; reported in the same table as `full`;
 * - `trusted`: a trusted-to-trusted call through a guard in this process with its log off (the
 *   easy path, for comparison). For each rate it places CALLS calls and reads sipp's own statistics; the highest
 * rate with zero failed calls is reported with the INVITE-to-200 median and p99, the guard's CPU
 * (% of a core and ms per call), its event-loop delay (p50 / p99 / max) and its peak memory. A
 * guard in its own process is started with bench/guard-probe-preload.ts, which reports its CPU
 * and event-loop delay for each measured run (from inside, the guard's code untouched); on
 * drachtio, drachtio-server's CPU (from /proc) is reported too, since the SIP stack's work is
 * done there. Loopback only: the guards on 127.0.0.20 (in process), 127.0.0.21 (`full`) and
 * drachtio-server on 127.0.0.22 (`full-drachtio`), sipp on 127.0.0.1, 127.0.0.2 and 127.0.0.3.
 *
 * Before each measured run the guard carries max(3,000, 3 s) calls of the same load (a
 * long-running guard is measured in steady state, after V8 has compiled its hot paths). It runs
 * with node's --v8-pool-size=1, as `npm start` and the Docker image do. Environment: CALLS
 * (default 20000), RATES (default "250,500,1000,1250,1500"), WARM_UP_CALLS (default 3000, the
 * floor of the warm-up; lower it only for a quick check that the benchmark works), GUARD_NODE_FLAGS
 * (extra node flags for the guards in their own process, e.g. `--cpu-prof`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { callCounts, percentile, responseTimes, RTT_DUMP_EVERY } from './sipp-results.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { openSync, writeFileSync } from 'node:fs';
import { buildController } from '../src/call/build-controller.ts';
import { EmbeddedGuard } from '../src/front/embedded/embedded-guard.ts';
import { createLogger } from '../src/log/logger.ts';
import { parseProfile } from '../src/profile/load-profile.ts';
import { DRACHTIO_BIN, DRACHTIO_SKIP, startDrachtioServer, type RunningDrachtioServer } from '../test/helpers/drachtio-server.ts';
import { PROBE_FILE_ENV } from './guard-probe-preload.ts';
import { childProbe, inProcessProbe, NOT_MEASURED, type GuardProbe, type Measured } from './guard-probes.ts';
import { startWireCapture, wireCaptureMissing } from './wire-times.ts';
import { KAMAILIO_PROXY, kamailioProxyMissing, measureReferenceProxy, printReferenceSummary } from './kamailio-reference.ts';
import { fullPathProfile, KAMAILIO_AS, kamailioPathMissing, POOL_GUARDS, RedisServer, redisPathMissing, startPoolDispatcher } from './scale-out-paths.ts';

const SCENARIOS = resolve(import.meta.dirname, '../test/sipp/scenarios');
const CALLS = Number(process.env.CALLS ?? 20_000);
const WARM_UP_CALLS = Number(process.env.WARM_UP_CALLS ?? 3_000);
const RATES = (process.env.RATES ?? '250,500,1000,1250,1500').split(',').map(Number);
const DEFAULT_PATHS = [
  'full',
  ...(kamailioProxyMissing() === null ? ['kamailio-proxy'] : []),
  ...(DRACHTIO_BIN === '' ? [] : ['full-drachtio']),
  ...(redisPathMissing() === null ? ['full-redis'] : []),
  ...(kamailioPathMissing() === null ? ['kamailio-2'] : []),
  'node-relay',
  'trusted',
];
/** Extra node flags for the guards in their own process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (node refuses those in NODE_OPTIONS). */
const GUARD_NODE_FLAGS = (process.env.GUARD_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
/**
 * The guard a full path runs: `dist` (default), the output of `npm run build` (which `npm run
 * bench:sip` runs first) as the Docker image runs it in production; `src`, the TypeScript sources
 * through tsx as `npm start` runs them from a checkout (about 7 % more CPU per call on the full
 * path than the build, in an A/B of three pairs at 500 calls/s).
 */
const GUARD_ENTRY = process.env.BENCH_GUARD === 'src' ? 'src/cli/dc-guard.ts' : 'dist/cli/dc-guard.js';
const PATHS = (process.env.BENCH_PATHS ?? DEFAULT_PATHS.join(',')).split(',');
const GUARD = { ip: '127.0.0.20', port: 25060 };
/** The full path's guard, a process of its own. */
const RUN_GUARD = { ip: '127.0.0.21', port: 25070 };
/** The full-drachtio path: drachtio-server's SIP address (the guard's, to its peers) and its application socket on 127.0.0.1. */
const DRACHTIO_SIP = { ip: '127.0.0.22', port: 25080 };
const DRACHTIO_ADMIN_PORT = 25090;
/** The node-relay floor: the side its caller sends to, and the side it sends to the callee from. */
const RELAY = { callerSide: { ip: '127.0.0.24', port: 25120 }, calleeSide: { ip: '127.0.0.24', port: 25121 } };
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

interface RunResult extends Measured {
  readonly rate: number;
  readonly successful: number;
  readonly failed: number;
  readonly medianMs: number;
  readonly p99Ms: number;
}

/** Why INVITE-to-200 times come from sipp's coarse clock rather than the wire, or null when they come from the wire. */
const WIRE_TIMES_MISSING = wireCaptureMissing();

/**
 * Runs sipp. `deadlineMs`: killed if still running then. sipp's own `-timeout` did not always end
 * a caller whose calls were stuck behind an overloaded middle box (it sat idle for 20 minutes at
 * 2,000 calls/s), and a benchmark must not hang: its unfinished calls count as failed.
 */
function sipp(args: string[], cwd: string, deadlineMs?: number): { done: Promise<number | null>; stop: () => void } {
  const command = [...args, '-nostdin', '-buff_size', '4194304', '-timer_resol', '1', '-trace_err'];
  const child = spawn('sipp', command, { cwd, stdio: 'ignore' });
  const watchdog =
    deadlineMs === undefined
      ? undefined
      : setTimeout(() => {
          console.log(`sipp ${args.slice(0, 3).join(' ')}: still running after ${Math.round(deadlineMs / 1000)} s; killed`);
          child.kill('SIGKILL');
        }, deadlineMs);
  return {
    done: new Promise((resolve) =>
      child.on('close', (code) => {
        clearTimeout(watchdog);
        resolve(code);
      }),
    ),
    stop: () => child.kill('SIGTERM'),
  };
}

async function run(rate: number, target: string, path: CallPath, probe: GuardProbe | null, calls = CALLS): Promise<RunResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'dcg-load-'));
  const calleeDir = mkdtempSync(join(cwd, 'uas-'));
  const uas = sipp(['-sf', join(SCENARIOS, path.uas), '-i', UAS.ip, '-p', String(UAS.port), '-trace_stat', '-fd', '3600'], calleeDir);
  await new Promise((r) => setTimeout(r, 300));
  await probe?.start();
  const capture = WIRE_TIMES_MISSING === null ? await startWireCapture(path.from, join(cwd, 'caller.pcap')) : null;
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
      String(RTT_DUMP_EVERY),
      '-trace_stat',
      '-fd',
      '3600',
    ],
    cwd,
    (calls / rate) * 1000 + 120_000,
  );
  await uac.done;
  // CPU is divided by the time the calls were placed, not by the time sipp took to exit: sipp
  // waits out failed calls, and that wait would dilute the % of a core the calls cost.
  const placedMs = (calls / rate) * 1000;
  const measured = (await probe?.stop(placedMs, calls)) ?? NOT_MEASURED;
  const wire = (await capture?.stop()) ?? null;
  uas.stop();
  await uas.done;
  const times = (wire ?? responseTimes(cwd)).sort((a, b) => a - b);
  const counts = callCounts(cwd);
  // A caller killed by its deadline wrote no last counts: its calls not counted as successful failed.
  const failed = Math.max(counts.failed, calls - counts.successful) + Math.max(0, callCounts(calleeDir).failed);
  return { rate, successful: counts.successful, failed, medianMs: percentile(times, 0.5), p99Ms: percentile(times, 0.99), ...measured };
}

/** One row of a table: a path's baseline and guarded run at one rate. */
interface Row {
  readonly path: string;
  readonly baseline: RunResult;
  readonly guarded: RunResult;
}

/** Baseline, warm-up and measured run per rate; a long-running guard is measured in steady state. */
async function measure(name: string, path: CallPath, guardAt: { ip: string; port: number }, probe: GuardProbe | null): Promise<Row[]> {
  const rows: Row[] = [];
  for (const rate of RATES) {
    const baseline = await run(rate, `${UAS.ip}:${UAS.port}`, { ...path, uas: path === FULL_PATH ? TRUSTED_PATH.uas : path.uas, uac: path === FULL_PATH ? TRUSTED_PATH.uac : path.uac }, null);
    // Right before each measured run the guard carries a few seconds of the same load, so V8 has
    // compiled the hot paths and sized its heap (both decay while it sits idle during the baseline).
    await run(rate, `${guardAt.ip}:${guardAt.port}`, path, null, Math.max(WARM_UP_CALLS, rate * 3));
    const guarded = await run(rate, `${guardAt.ip}:${guardAt.port}`, path, probe);
    rows.push({ path: name, baseline, guarded });
    console.log(JSON.stringify({ path: name, rate, baseline, guarded }));
  }
  return rows;
}

function report(title: string, rows: readonly Row[]): void {
  const stack = rows.some((r) => r.guarded.stackCpuPercent !== null);
  console.log(`\n${title}`);
  console.log(
    `INVITE-to-200 times: ${WIRE_TIMES_MISSING === null ? 'from a capture of the caller\'s packets (tcpdump, µs clock)' : `from sipp (its clock moves in steps of a few ms; ${WIRE_TIMES_MISSING})`}; CPU % of one core: CPU time over the time the calls were placed`,
  );
  console.log(
    `| path | calls/s | direct: failed | direct: median / p99 ms | guard: failed | guard: median / p99 ms | added p99 ms | guard CPU % of one core | guard CPU ms per call | guard event-loop delay p50 / p99 / max ms | guard peak RSS / heap MB |${stack ? ' drachtio-server CPU % / ms per call |' : ''}`,
  );
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|${stack ? '---:|' : ''}`);
  const sorted = [...rows].sort((a, b) => a.guarded.rate - b.guarded.rate);
  for (const { path, baseline: b, guarded: g } of sorted) {
    const stackCell = stack ? ` ${g.stackCpuPercent?.toFixed(0) ?? '-'} / ${g.stackCpuMsPerCall?.toFixed(3) ?? '-'} |` : '';
    console.log(
      `| ${path} | ${g.rate} | ${b.failed} | ${b.medianMs.toFixed(2)} / ${b.p99Ms.toFixed(2)} | ${g.failed} | ${g.medianMs.toFixed(2)} / ${g.p99Ms.toFixed(2)} | ${(g.p99Ms - b.p99Ms).toFixed(2)} | ${g.guardCpuPercent?.toFixed(0) ?? '-'} | ${g.guardCpuMsPerCall?.toFixed(3) ?? '-'} | ${g.loopDelayP50Ms?.toFixed(1) ?? '-'} / ${g.loopDelayP99Ms?.toFixed(1) ?? '-'} / ${g.loopDelayMaxMs?.toFixed(0) ?? '-'} | ${g.guardPeakRssMb?.toFixed(0) ?? '-'} / ${g.guardPeakHeapMb?.toFixed(0) ?? '-'} |${stackCell}`,
    );
  }
  console.log('');
  for (const path of new Set(rows.map((r) => r.path))) {
    const clean = rows.filter((r) => r.path === path && r.guarded.failed === 0 && r.guarded.successful === CALLS).map((r) => r.guarded.rate);
    console.log(`${path}: highest rate with zero failed calls through the guard: ${clean.length === 0 ? 'none' : Math.max(...clean)} calls/s`);
  }
}

/** How a full path's guard process is reached: its own sockets, or drachtio-server's. */
interface RunFrontEnd {
  readonly name: string;
  /** The guard's SIP address to its peers (its own socket, or drachtio-server's). */
  readonly sip: { readonly ip: string; readonly port: number };
  readonly transport: 'embedded' | 'drachtio';
  readonly env: Readonly<Record<string, string>>;
  /** `state.store: redis` at this URL; absent: calls in memory. */
  readonly redisUrl?: string;
  readonly behindKamailio?: boolean;
}

interface RunningGuard {
  readonly pid: number;
  readonly probeFile: string;
  stop(): Promise<void>;
}

/**
 * A full path's guard, started as a user starts it (`dc-guard run`, the decision log at its
 * default level), with bench/guard-probe-preload.ts for its CPU and event-loop delay.
 */
async function startRunGuard(front: RunFrontEnd): Promise<RunningGuard> {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-bench-run-'));
  const file = join(dir, 'profile.yaml');
  writeFileSync(
    file,
    fullPathProfile({ sip: front.sip, uas: UAS, as: AS, redisUrl: front.redisUrl ?? null, behindKamailio: front.behindKamailio ?? false }),
  );
  const guard = await startProbed(
    `${front.name} path: the guard`,
    dir,
    [GUARD_ENTRY, 'run', '--profile', file, '--transport', front.transport],
    { ...front.env, LOG_LEVEL: 'info' },
    '"guard started"',
  );
  console.log(`${front.name} path: guard log at ${guard.log}`);
  return guard;
}

/**
 * A node program of this repository started with bench/guard-probe-preload.ts (its CPU and
 * event-loop delay read from inside), its stdout in `dir`/out.log, ready once `ready` is in it.
 * `stop` sends SIGTERM, and SIGKILL 15 s later if it has not exited (the guard drains first).
 */
async function startProbed(name: string, dir: string, args: readonly string[], env: Readonly<Record<string, string>>, ready: string): Promise<RunningGuard & { readonly log: string }> {
  const log = join(dir, 'out.log');
  const probeFile = join(dir, 'probe.json');
  const out = openSync(log, 'w');
  const preload = resolve(import.meta.dirname, 'guard-probe-preload.ts');
  const child = spawn(process.execPath, ['--v8-pool-size=1', ...GUARD_NODE_FLAGS, '--import', 'tsx', '--import', preload, ...args], {
    cwd: resolve(import.meta.dirname, '..'),
    stdio: ['ignore', out, 'inherit'],
    env: { ...process.env, ...env, [PROBE_FILE_ENV]: probeFile },
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const deadline = Date.now() + 15_000;
  while (!readFileSync(log, 'utf8').includes(ready)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`${name} did not start; its output: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid ?? 0,
    probeFile,
    log,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        console.log(`${name} did not exit within 15 s of SIGTERM; killed`);
        child.kill('SIGKILL');
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The pid of the drachtio-server DRACHTIO_BIN started with this application port (its CPU is read from /proc). */
function drachtioPid(adminPort: number): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const port = argv.indexOf('--port');
      if (argv[0] === DRACHTIO_BIN && port > 0 && argv[port + 1] === String(adminPort)) {
        return Number(entry);
      }
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

async function measureFull(front: RunFrontEnd, stackPid: number | null): Promise<Row[]> {
  const guard = await startRunGuard(front);
  try {
    return await measure(front.name, FULL_PATH, front.sip, childProbe(guard.pid, guard.probeFile, stackPid));
  } finally {
    await guard.stop();
  }
}

/**
 * The node-relay floor (bench/udp-relay.ts) in its own process with the probe preload: the same
 * calls (the trusted path's scenarios, as nothing is edited) relayed datagram by datagram.
 */
async function measureRelay(): Promise<Row[]> {
  const at = (a: { ip: string; port: number }): string => `${a.ip}:${a.port}`;
  const relay = await startProbed(
    'bench/udp-relay.ts',
    mkdtempSync(join(tmpdir(), 'dcg-bench-relay-')),
    [resolve(import.meta.dirname, 'udp-relay.ts')],
    { RELAY_CALLER_SIDE: at(RELAY.callerSide), RELAY_CALLEE_SIDE: at(RELAY.calleeSide), RELAY_CALLEE: at(UAS) },
    'relay listening',
  );
  try {
    return await measure('node-relay', TRUSTED_PATH, RELAY.callerSide, childProbe(relay.pid, relay.probeFile, null));
  } finally {
    await relay.stop();
  }
}

/** Two full-path guards on one Redis behind Kamailio; the guards' CPU is not read (two processes). */
async function measurePool(): Promise<Row[]> {
  const missing = kamailioPathMissing();
  if (missing !== null) {
    throw new Error(`BENCH_PATHS has kamailio-2, but ${missing}`);
  }
  const redis = await RedisServer.start();
  const guards: RunningGuard[] = [];
  try {
    for (const [i, sip] of POOL_GUARDS.entries()) {
      guards.push(await startRunGuard({ name: `kamailio-2 guard ${i + 1}`, sip, transport: 'embedded', env: {}, redisUrl: redis.url, behindKamailio: true }));
    }
    const dispatcher = await startPoolDispatcher();
    try {
      return await measure('kamailio-2', FULL_PATH, KAMAILIO_AS, null);
    } finally {
      await dispatcher.stop();
    }
  } finally {
    for (const guard of guards) {
      await guard.stop();
    }
    await redis.stop();
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${CALLS} calls per run, ${new Date().toISOString()}`);
  const fullRows: Row[] = [];
  if (PATHS.includes('full')) {
    fullRows.push(...(await measureFull({ name: 'full', sip: RUN_GUARD, transport: 'embedded', env: {} }, null)));
  }
  fullRows.push(...(PATHS.includes('kamailio-proxy') ? await measureReferenceProxy(AS, UAS, (probe) => measure('kamailio-proxy', FULL_PATH, KAMAILIO_PROXY, probe)) : []));
  if (PATHS.includes('full-drachtio')) {
    if (DRACHTIO_SKIP !== false) {
      throw new Error(`BENCH_PATHS has full-drachtio, but ${DRACHTIO_SKIP}`);
    }
    let server: RunningDrachtioServer | null = null;
    try {
      server = await startDrachtioServer({ sipIp: DRACHTIO_SIP.ip, sipPort: DRACHTIO_SIP.port, adminPort: DRACHTIO_ADMIN_PORT });
      const env = { DRACHTIO_HOST: server.admin.host, DRACHTIO_PORT: String(server.admin.port), DRACHTIO_SECRET: server.admin.secret };
      fullRows.push(...(await measureFull({ name: 'full-drachtio', sip: DRACHTIO_SIP, transport: 'drachtio', env }, drachtioPid(DRACHTIO_ADMIN_PORT))));
    } finally {
      await server?.stop();
    }
  }
  if (PATHS.includes('full-redis')) {
    const missing = redisPathMissing();
    if (missing !== null) {
      throw new Error(`BENCH_PATHS has full-redis, but ${missing}`);
    }
    const redis = await RedisServer.start();
    try {
      fullRows.push(...(await measureFull({ name: 'full-redis', sip: RUN_GUARD, transport: 'embedded', env: {}, redisUrl: redis.url }, null)));
    } finally {
      await redis.stop();
    }
  }
  if (PATHS.includes('kamailio-2')) {
    fullRows.push(...(await measurePool()));
  }
  if (PATHS.includes('node-relay')) {
    fullRows.push(...(await measureRelay()));
  }
  if (fullRows.length > 0) {
    report(
      'full path: untrusted AS, ungranted channel stripped, PAI dropped, decision log on, `dc-guard run` in its own process (full: embedded front end, calls in memory; full-drachtio: drachtio front end, SIP stack in drachtio-server; full-redis: calls in Redis; kamailio-2: two guards on one Redis behind Kamailio\'s dispatcher, their CPU not read; kamailio-proxy: the reference, Kamailio\'s stateful proxy making the same edits, its CPU (all its processes) and PSS in the guard\'s columns; node-relay: the floor, a Node process relaying each datagram unread, the trusted path\'s calls)',
      fullRows,
    );
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
    const rows = await measure('trusted', TRUSTED_PATH, GUARD, inProcessProbe());
    await guard.stop(1_000);
    report('trusted path: core to core, guard in this process, log off', rows);
  }
  printReferenceSummary(fullRows, CALLS);
}

await main();
