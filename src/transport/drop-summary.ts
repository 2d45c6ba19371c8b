/**
 * Counts input the transport threw away (refused sources, connections over a cap, unreadable
 * messages, slow senders) and hands it on as one summary per interval. A flood must not
 * become a flood of log lines: one warning per garbage datagram let 20 s of junk from a
 * stranger write 30 MB of log and slow the guard for everyone.
 *
 * Memory is bounded whatever arrives: one counter per kind (kinds are fixed strings of the
 * transport) and at most `samplesPerKind` sample sources each.
 */

export interface DropCount {
  readonly count: number;
  /** The first few distinct sources seen in the interval ("udp 192.0.2.1:5060"). */
  readonly samples: readonly string[];
}

export interface DropSummary {
  /** Clock time (ms) of the first drop counted and of the summary. */
  readonly since: number;
  readonly until: number;
  readonly total: number;
  readonly kinds: Readonly<Record<string, DropCount>>;
}

export interface DropSummaryOptions {
  /** Shortest time between two summaries. */
  readonly intervalMs: number;
  /** Sample sources kept per kind; default 3. */
  readonly samplesPerKind?: number;
  /** Milliseconds on any monotonic clock; injected so tests run on fake time. */
  readonly now: () => number;
  /** Receives each summary; what it throws is swallowed (a failing logger must not stop counting). */
  readonly emit: (summary: DropSummary) => void;
}

interface Tally {
  count: number;
  readonly samples: Set<string>;
}

const DEFAULT_SAMPLES = 3;

export class DropSummariser {
  readonly #options: DropSummaryOptions;
  readonly #samplesPerKind: number;
  readonly #tallies = new Map<string, Tally>();
  /** When the interval being counted began, or null while nothing is counted. */
  #since: number | null = null;
  #total = 0;

  constructor(options: DropSummaryOptions) {
    this.#options = options;
    this.#samplesPerKind = options.samplesPerKind ?? DEFAULT_SAMPLES;
  }

  /** Counts one drop of `kind`; `source` may become one of the interval's samples. */
  note(kind: string, source?: string): void {
    this.tick();
    this.#since ??= this.#options.now();
    let tally = this.#tallies.get(kind);
    if (tally === undefined) {
      tally = { count: 0, samples: new Set() };
      this.#tallies.set(kind, tally);
    }
    tally.count++;
    this.#total++;
    if (source !== undefined && tally.samples.size < this.#samplesPerKind) {
      tally.samples.add(source);
    }
  }

  /** Emits the interval's summary once the interval is over; the owner calls it from a timer too, so a burst that stops is still reported. */
  tick(): void {
    if (this.#since !== null && this.#options.now() - this.#since >= this.#options.intervalMs) {
      this.flush();
    }
  }

  /** Emits what is counted now, interval over or not (on close); nothing when nothing was dropped. */
  flush(): void {
    if (this.#since === null) {
      return;
    }
    const kinds: Record<string, DropCount> = {};
    for (const [kind, tally] of this.#tallies) {
      kinds[kind] = { count: tally.count, samples: [...tally.samples] };
    }
    const summary: DropSummary = { since: this.#since, until: this.#options.now(), total: this.#total, kinds };
    this.#tallies.clear();
    this.#since = null;
    this.#total = 0;
    try {
      this.#options.emit(summary);
    } catch {
      // the counts are reset either way: a logger that throws must not make them grow forever
    }
  }
}
