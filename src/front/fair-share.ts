/**
 * Shares the call controller's time between peers (profile `limits.fair_share`).
 *
 * Every message the controller must decide on waits in its sender's queue: one per peer, and one
 * for all unknown sources together. The next job always comes from the queue that has used the
 * least controller time so far (start-time fair queueing: a job is charged an estimate, its
 * queue's recent average, when it starts, and corrected to what it really took when it ends), so
 * a peer that floods or sends the most expensive messages its limits allow slows itself, not the
 * core. A queue that is full refuses at once: the caller answers 503 with Retry-After for that
 * peer alone, without any policy work.
 *
 * With calls in memory a job never waits on I/O, and jobs run one at a time, each peer's in
 * arrival order. With a shared store (`inFlight` > 1) a job spends most of its time waiting for
 * Redis round trips; running one at a time would bound the guard by store latency rather than
 * CPU, so up to `inFlight` jobs are in progress at once. They still start in the fair order, a
 * job is charged only the time it computed (the store waits it reports through its WaitMeter are
 * taken out), and the controller keeps the messages of one leg in order (call-controller.ts).
 *
 * Jobs are the controller's decision only: the front end sends the outcome afterwards, outside
 * the queue, so a DNS look-up or a slow socket never holds it up. The queues yield to the event
 * loop every `sliceMs`, so sockets keep being read while they are long.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { WaitMeter } from '../call/wait-meter.ts';

export interface FairShareOptions {
  /** Most jobs one peer may have waiting. */
  readonly queuePerPeer: number;
  /** Most jobs all unknown sources together may have waiting. */
  readonly queueUnknown: number;
  /**
   * Most jobs in progress at once (default 1: one at a time); more only where jobs wait on a
   * shared store. One peer may hold at most half of them, so another peer's job always finds one.
   */
  readonly inFlight?: number;
  /** Controller time after which the queues let the event loop run (read sockets, fire timers); default 1 ms. */
  readonly sliceMs?: number;
  /** A job not done after about this long no longer holds the others up (a bug, logged); default 2 s. */
  readonly stallMs?: number;
  readonly onStall?: (peer: string) => void;
  /** Clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/** The queue of all sources no peer matches. */
export const UNKNOWN_PEER = Symbol('unknown peer');
export type QueueKey = string | typeof UNKNOWN_PEER;

export type FairJob<T> = (meter: WaitMeter) => Promise<T>;

/** How far past its cap a peer's queue takes a job (FairShare.submit). */
export type QueueRoom = 'cap' | 'in-dialog' | 'always';

interface Queue {
  readonly key: QueueKey;
  readonly cap: number;
  /** The cap with its headroom, for `in-dialog` jobs: a quarter more. */
  readonly inDialogCap: number;
  readonly jobs: Array<FairJob<unknown>>;
  /** Controller time used, in ms: the queue with the least goes next. */
  used: number;
  /** Recent average cost of one of its jobs, charged when a job starts. */
  estimate: number;
  /** Its jobs in progress. */
  running: number;
}

/** A job in progress. */
interface Running {
  readonly queue: Queue;
  readonly started: number;
  readonly release: () => void;
}

/** Weight of the newest job in a queue's average cost. */
const ESTIMATE_WEIGHT = 0.2;

/** The WaitMeter of one job: adds up the time its store waits took. */
class JobMeter implements WaitMeter {
  waited = 0;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  wait<T>(pending: Promise<T>): Promise<T> {
    const from = this.#now();
    const counted = (): void => {
      this.waited += this.#now() - from;
    };
    return pending.then(
      (value) => {
        counted();
        return value;
      },
      (error: unknown) => {
        counted();
        throw error;
      },
    );
  }
}

export class FairShare {
  readonly #options: FairShareOptions;
  readonly #now: () => number;
  readonly #inFlight: number;
  readonly #inFlightPerQueue: number;
  /** Recent average cost of a job over all queues: a new queue's first estimate. */
  #estimate = 0;
  readonly #queues = new Map<QueueKey, Queue>();
  /** Queues with jobs waiting. */
  readonly #active = new Set<Queue>();
  #serving = false;
  #waiting = 0;
  /** Jobs in progress: one watch for all of them, rather than a timer per message. */
  readonly #running = new Set<Running>();
  /** Set while the serving loop waits for a job to end (all `inFlight` slots taken). */
  #slotFreed: (() => void) | null = null;
  readonly #watch: NodeJS.Timeout;

  constructor(options: FairShareOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#inFlight = Math.max(1, options.inFlight ?? 1);
    this.#inFlightPerQueue = Math.max(1, Math.floor(this.#inFlight / 2));
    this.#watch = setInterval(() => this.#checkStall(), Math.max(50, (options.stallMs ?? 2000) / 4));
    this.#watch.unref();
  }

  /** Jobs waiting, over all peers. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Queues `job` for `peer` and returns its result; null when that peer's queue is full (nothing
   * was queued: the caller refuses the message). `room` says how full is full, the job in its turn
   * whatever it is:
   * - `cap`: the peer's cap;
   * - `in-dialog`: the cap and a quarter more, for messages of dialogs and transactions already
   *   under way (an ACK, a BYE, a response). Under a burst, new requests, which are retransmitted
   *   or refused with 503, give way to them: a dropped ACK for a 2xx is not sent again until the
   *   2xx is, and the BYE after it would find the callee still waiting for it. A peer that
   *   claims this for everything gets the headroom too, and no more;
   * - `always`: past the cap, for work whose number is bounded elsewhere (a response answers a
   *   request the guard sent).
   */
  submit<T>(peer: QueueKey, job: FairJob<T>, room: QueueRoom = 'cap'): Promise<T> | null {
    const queue = this.#queue(peer);
    if (room !== 'always' && queue.jobs.length >= (room === 'in-dialog' ? queue.inDialogCap : queue.cap)) {
      return null;
    }
    const result = new Promise<T>((resolve, reject) => {
      queue.jobs.push((meter) => {
        let run: Promise<T>;
        try {
          run = job(meter);
        } catch (error) {
          run = Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
        run.then(resolve, reject);
        return run;
      });
    });
    if (queue.jobs.length === 1) {
      this.#activate(queue);
    }
    this.#waiting++;
    if (!this.#serving) {
      this.#serving = true;
      void this.#serve();
    } else if (this.#running.size < this.#inFlight) {
      // The loop may be parked with every waiting queue at its share: this one may not be.
      this.#freeSlot();
    }
    return result;
  }

  /** Controller time (ms) `peer`'s queue has been charged, for tests and diagnostics. */
  usedBy(peer: QueueKey): number {
    return this.#queues.get(peer)?.used ?? 0;
  }

  /** Stops the stall watch (the queues themselves need nothing to stop). */
  close(): void {
    clearInterval(this.#watch);
  }

  #queue(peer: QueueKey): Queue {
    let queue = this.#queues.get(peer);
    if (queue === undefined) {
      const cap = peer === UNKNOWN_PEER ? this.#options.queueUnknown : this.#options.queuePerPeer;
      queue = { key: peer, cap, inDialogCap: cap + Math.ceil(cap / 4), jobs: [], used: 0, estimate: this.#estimate, running: 0 };
      this.#queues.set(peer, queue);
    }
    return queue;
  }

  /** A queue that was idle starts level with the least-used busy one: idle time is not banked. */
  #activate(queue: Queue): void {
    let least = Infinity;
    for (const q of this.#active) {
      least = Math.min(least, q.used);
    }
    if (least !== Infinity && queue.used < least) {
      queue.used = least;
    } else if (least === Infinity) {
      queue.used = 0;
    }
    this.#active.add(queue);
  }

  /** The least-used queue with a job waiting and a job in progress to spare; null when none. */
  #next(): Queue | null {
    let best: Queue | null = null;
    for (const q of this.#active) {
      if (q.running < this.#inFlightPerQueue && (best === null || q.used < best.used)) {
        best = q;
      }
    }
    return best;
  }

  async #serve(): Promise<void> {
    const slice = this.#options.sliceMs ?? 1;
    let sliceStart = this.#now();
    try {
      while (this.#active.size > 0) {
        const queue = this.#running.size < this.#inFlight ? this.#next() : null;
        if (queue === null) {
          // Every slot is taken, or every waiting queue has its share in progress: on until a
          // job ends or another queue has a job.
          await new Promise<void>((freed) => (this.#slotFreed = freed));
          continue;
        }
        const job = queue.jobs.shift();
        this.#waiting--;
        if (queue.jobs.length === 0) {
          this.#active.delete(queue);
        }
        if (job === undefined) {
          continue;
        }
        const run = this.#run(job, queue);
        if (this.#inFlight === 1) {
          await run;
        }
        if (this.#now() - sliceStart >= slice) {
          await yieldToEventLoop();
          sliceStart = this.#now();
        }
      }
    } finally {
      this.#serving = false;
    }
  }

  /** Starts one job; resolves when it ends, or when the stall watch gives up on it. */
  #run(job: FairJob<unknown>, queue: Queue): Promise<void> {
    const estimate = queue.estimate;
    queue.used += estimate;
    const meter = new JobMeter(this.#now);
    const started = this.#now();
    return new Promise<void>((release) => {
      const running: Running = { queue, started, release };
      this.#running.add(running);
      queue.running++;
      const done = (): void => {
        if (this.#running.delete(running)) {
          queue.running--;
          const took = Math.max(0, this.#now() - started - meter.waited);
          queue.used += took - estimate;
          queue.estimate += (took - queue.estimate) * ESTIMATE_WEIGHT;
          this.#estimate += (took - this.#estimate) * ESTIMATE_WEIGHT;
          this.#freeSlot();
        }
        release();
      };
      job(meter).then(done, done);
    });
  }

  #freeSlot(): void {
    const freed = this.#slotFreed;
    if (freed !== null) {
      this.#slotFreed = null;
      freed();
    }
  }

  #checkStall(): void {
    const limit = this.#options.stallMs ?? 2000;
    for (const running of this.#running) {
      if (this.#now() - running.started > limit) {
        this.#running.delete(running);
        running.queue.running--;
        this.#options.onStall?.(running.queue.key === UNKNOWN_PEER ? 'unknown' : running.queue.key);
        this.#freeSlot();
        running.release();
      }
    }
  }
}
