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
/**
 * Shared memory (MB) for its transactions: enough that the rate, not the memory, limits it. With
 * 256 MB, t_relay failed from 2,000 calls/s on (sl's "500 No error"); with 1 GB it ran clean at
 * 4,000 calls/s on the 2-core machine, where the two sipps and it fill both cores.
 */
const SHM_MB = 1024;

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
    stop(placedMs, calls) {
      clearInterval(sampler);
      // USER_HZ is 100 on Linux: a tick is 10 ms.
      const cpuMs = (ticks() - before) * 10;
      return Promise.resolve({ ...NOT_MEASURED, guardCpuPercent: (cpuMs / placedMs) * 100, guardCpuMsPerCall: cpuMs / calls, guardPeakRssMb: peak });
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
 * Kamailio's at the highest rate both ran clean (zero failed, every call successful; failing that,
 * at the highest rate both ran, with their failures said), and the full path's highest clean
 * rate over Kamailio's.
 */
export function referenceSummary(rows: readonly SummaryRow[], calls: number): string | null {
  const of = (path: string): Map<number, SummaryRow['guarded']> => new Map(rows.filter((r) => r.path === path).map((r) => [r.guarded.rate, r.guarded]));
  const full = of('full');
  const kamailio = of('kamailio-proxy');
  if (full.size === 0 || kamailio.size === 0) {
    return null;
  }
  const isClean = (run: SummaryRow['guarded'] | undefined): boolean => run !== undefined && run.failed === 0 && run.successful === calls;
  const highest = (rates: number[]): number | null => (rates.length === 0 ? null : Math.max(...rates));
  const both = [...full.keys()].filter((rate) => kamailio.has(rate));
  const cleanRate = highest(both.filter((rate) => isClean(full.get(rate)) && isClean(kamailio.get(rate))));
  const at = cleanRate ?? highest(both);
  const guardMs = at === null ? null : full.get(at)?.guardCpuMsPerCall;
  const kamailioMs = at === null ? null : kamailio.get(at)?.guardCpuMsPerCall;
  const where =
    cleanRate !== null
      ? `at ${at} calls/s (the highest rate both ran clean)`
      : `no rate both ran clean; at ${at} calls/s (full ${full.get(at ?? 0)?.failed} failed, kamailio-proxy ${kamailio.get(at ?? 0)?.failed} failed)`;
  const cpu =
    guardMs == null || kamailioMs == null || kamailioMs === 0
      ? `${where} CPU not read`
      : `${where} guard CPU per call / Kamailio's = ${(guardMs / kamailioMs).toFixed(2)} (${guardMs.toFixed(3)} / ${kamailioMs.toFixed(3)} ms)`;
  const fullBest = highest([...full.keys()].filter((rate) => isClean(full.get(rate))));
  const kamailioBest = highest([...kamailio.keys()].filter((rate) => isClean(kamailio.get(rate))));
  const ratio = fullBest === null || kamailioBest === null ? '-' : (fullBest / kamailioBest).toFixed(2);
  return `full vs kamailio-proxy: ${cpu}; highest clean rate full / kamailio-proxy = ${ratio} (${fullBest ?? 'none'} / ${kamailioBest ?? 'none'} calls/s, of the RATES tried)`;
}

/** Prints referenceSummary's line, after the tables, when the run had both paths. */
export function printReferenceSummary(rows: readonly SummaryRow[], calls: number): void {
  const summary = referenceSummary(rows, calls);
  if (summary !== null) {
    console.log(`\n${summary}`);
  }
}
