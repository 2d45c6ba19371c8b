/**
 * The `kamailio-proxy` path of `npm run bench:sip`: the reference middle box of the performance
 * issue, measured in the same run and table as `full`. Kamailio (Debian's, run by
 * test/helpers/kamailio.ts) as a stateful proxy with 8 SIP workers, running
 * bench/kamailio-reference.cfg: it relays the full path's calls with tm, removing from the AS's
 * INVITE what the guard removes on the wire (the P-Asserted-Identity, the ungranted channel's
 * lines, one up on the o= version), so the full path's callee scenario, which fails a call whose
 * offer still has them, passes through it too. Its CPU is read from /proc over the measured run,
 * summed over the main process and all its descendants; its memory is the sum of their PSS
 * (the shared memory every worker maps counted once, not once per process), in the guard's
 * columns of the table, its event-loop delay column empty.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kamailioMissing, startKamailio, type RunningKamailio } from '../test/helpers/kamailio.ts';
import { NOT_MEASURED, procStat, type GuardProbe } from './guard-probes.ts';

export const KAMAILIO_PROXY = { ip: '127.0.0.70', port: 25110 };
const REFERENCE_CFG = resolve(import.meta.dirname, 'kamailio-reference.cfg');
const MODULES = ['tm', 'sl', 'rr', 'pv', 'maxfwd', 'textops', 'siputils', 'xlog'];
/** SIP workers, as in the reference figures. */
const CHILDREN = 8;
/** Shared memory (MB) for its transactions: enough that the rate, not the memory, limits it. */
const SHM_MB = 256;

type Address = { readonly ip: string; readonly port: number };

/** Why `kamailio-proxy` cannot run here, or null. */
export function kamailioProxyMissing(): string | null {
  return kamailioMissing(MODULES);
}

/** The reference proxy on KAMAILIO_PROXY, policing what comes from `as` and sending new calls to `uas`. */
export async function startReferenceProxy(as: Address, uas: Address): Promise<RunningKamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-kamailio-ref-'));
  const defines = {
    PROXY_LISTEN: `udp:${KAMAILIO_PROXY.ip}:${KAMAILIO_PROXY.port}`,
    AS_IP: `"${as.ip}"`,
    UAS_URI: `"sip:${uas.ip}:${uas.port}"`,
    CHILDREN: String(CHILDREN),
  };
  const args = ['-f', REFERENCE_CFG, '-Y', dir, '-w', dir, '-m', String(SHM_MB)];
  for (const [name, value] of Object.entries(defines)) {
    args.push('-A', `${name}=${value}`);
  }
  return startKamailio(dir, args);
}

/** Runs `measure` with Kamailio's probe while the reference proxy runs (started for it, stopped after). */
export async function measureReferenceProxy<T>(as: Address, uas: Address, measure: (probe: GuardProbe) => Promise<T>): Promise<T> {
  const missing = kamailioProxyMissing();
  if (missing !== null) {
    throw new Error(`BENCH_PATHS has kamailio-proxy, but ${missing}`);
  }
  const proxy = await startReferenceProxy(as, uas);
  try {
    return await measure(kamailioProbe(proxy.pid));
  } finally {
    await proxy.stop();
  }
}

/** `root` and every process below it (Kamailio's workers and timers are children of its main process). */
function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i += 1) {
    for (const [pid, parent] of parentOf) {
      if (parent === tree[i]) {
        tree.push(pid);
      }
    }
  }
  return tree;
}

/** Proportional set size (MB) of one process: its private pages plus its share of the shared ones. */
function pssMb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** CPU and memory of Kamailio's process tree over a run, reported in the guard's columns. */
export function kamailioProbe(root: number): GuardProbe {
  let pids: number[] = [];
  let before = 0;
  let peak = 0;
  let sampler: NodeJS.Timeout | undefined;
  const ticks = (): number => pids.reduce((sum, pid) => sum + procStat(pid).ticks(), 0);
  const footprint = (): number => pids.reduce((sum, pid) => sum + pssMb(pid), 0);
  return {
    start() {
      pids = processTree(root);
      before = ticks();
      peak = footprint();
      // Every 0.5 s: reading smaps walks each process's page tables, CPU taken from the run.
      sampler = setInterval(() => (peak = Math.max(peak, footprint())), 500);
      return Promise.resolve();
    },
    stop(wallMs, calls) {
      clearInterval(sampler);
      // USER_HZ is 100 on Linux: a tick is 10 ms.
      const cpuMs = (ticks() - before) * 10;
      return Promise.resolve({ ...NOT_MEASURED, guardCpuPercent: (cpuMs / wallMs) * 100, guardCpuMsPerCall: cpuMs / calls, guardPeakRssMb: peak });
    },
  };
}

/** What referenceSummary reads of a table row. */
interface SummaryRow {
  readonly path: string;
  readonly guarded: { readonly rate: number; readonly failed: number; readonly successful: number; readonly guardCpuMsPerCall: number | null };
}

/**
 * The two ratios from one run, or null without both paths: the guard's CPU per call over
 * Kamailio's at the highest rate both ran clean (zero failed, every call successful), and the
 * full path's highest clean rate over Kamailio's.
 */
export function referenceSummary(rows: readonly SummaryRow[], calls: number): string | null {
  const clean = (path: string): Map<number, number | null> =>
    new Map(rows.filter((r) => r.path === path && r.guarded.failed === 0 && r.guarded.successful === calls).map((r) => [r.guarded.rate, r.guarded.guardCpuMsPerCall]));
  if (!rows.some((r) => r.path === 'full') || !rows.some((r) => r.path === 'kamailio-proxy')) {
    return null;
  }
  const full = clean('full');
  const kamailio = clean('kamailio-proxy');
  const best = (rates: Iterable<number>): number | null => {
    const list = [...rates];
    return list.length === 0 ? null : Math.max(...list);
  };
  const common = best([...full.keys()].filter((rate) => kamailio.has(rate)));
  const guardMs = common === null ? null : full.get(common);
  const kamailioMs = common === null ? null : kamailio.get(common);
  const cpu =
    common === null || guardMs == null || kamailioMs == null || kamailioMs === 0
      ? 'no rate both ran clean with CPU read'
      : `at ${common} calls/s (the highest rate both ran clean) guard CPU per call / Kamailio's = ${(guardMs / kamailioMs).toFixed(2)} (${guardMs.toFixed(3)} / ${kamailioMs.toFixed(3)} ms)`;
  const fullBest = best(full.keys());
  const kamailioBest = best(kamailio.keys());
  const rate =
    fullBest === null || kamailioBest === null
      ? `highest clean rate full / kamailio-proxy: ${fullBest ?? 'none'} / ${kamailioBest ?? 'none'} calls/s`
      : `highest clean rate full / kamailio-proxy = ${(fullBest / kamailioBest).toFixed(2)} (${fullBest} / ${kamailioBest} calls/s, of RATES tried)`;
  return `full vs kamailio-proxy: ${cpu}; ${rate}`;
}

/** Prints referenceSummary's line, after the tables, when the run had both paths. */
export function printReferenceSummary(rows: readonly SummaryRow[], calls: number): void {
  const summary = referenceSummary(rows, calls);
  if (summary !== null) {
    console.log(`\n${summary}`);
  }
}
