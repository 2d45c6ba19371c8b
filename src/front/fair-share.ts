/**
 * Shares the call controller's time between peers (profile `limits.fair_share`).
 *
 * Every message the controller must decide on waits in its sender's queue: one per peer, and one
 * for all unknown sources together. The queues are served one job at a time, the next job always
 * from the queue that has used the least controller time so far (start-time fair queueing, with
 * each job charged what it really took), so a peer that floods or sends the most expensive
 * messages its limits allow slows itself, not the core. A queue that is full refuses at once:
 * the caller answers 503 with Retry-After for that peer alone, without any policy work.
 *
 * Jobs are the controller's decision only (no I/O waits in the memory store): the front end sends
 * the outcome afterwards, outside the queue, so a DNS look-up or a slow socket never holds it up.
 * Jobs of one peer run in arrival order. The queues yield to the event loop every `sliceMs`, so
 * sockets keep being read while they are long.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export interface FairShareOptions {
  /** Most jobs one peer may have waiting. */
  readonly queuePerPeer: number;
  /** Most jobs all unknown sources together may have waiting. */
  readonly queueUnknown: number;
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

interface Queue {
  readonly key: QueueKey;
  readonly cap: number;
  readonly jobs: Array<() => Promise<unknown>>;
  /** Controller time used, in ms: the queue with the least goes next. */
  used: number;
}

export class FairShare {
  readonly #options: FairShareOptions;
  readonly #now: () => number;
  readonly #queues = new Map<QueueKey, Queue>();
  /** Queues with jobs waiting. */
  readonly #active = new Set<Queue>();
  #running = false;
  #waiting = 0;
  /** The job being run: one watch for all of them, rather than a timer per message. */
  #current: { readonly key: QueueKey; readonly started: number; readonly release: () => void } | null = null;
  readonly #watch: NodeJS.Timeout;

  constructor(options: FairShareOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#watch = setInterval(() => this.#checkStall(), Math.max(50, (options.stallMs ?? 2000) / 4));
    this.#watch.unref();
  }

  /** Jobs waiting, over all peers. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Queues `job` for `peer` and returns its result; null when that peer's queue is full (nothing
   * was queued: the caller refuses the message). `always` queues it past the cap, still in its
   * turn: for work whose number is bounded elsewhere (a response answers a request the guard sent).
   */
  submit<T>(peer: QueueKey, job: () => Promise<T>, always = false): Promise<T> | null {
    const queue = this.#queue(peer);
    if (queue.jobs.length >= queue.cap && !always) {
      return null;
    }
    const result = new Promise<T>((resolve, reject) => {
      queue.jobs.push(() => {
        let run: Promise<T>;
        try {
          run = job();
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
    if (!this.#running) {
      this.#running = true;
      void this.#serve();
    }
    return result;
  }

  /** Stops the stall watch (the queues themselves need nothing to stop). */
  close(): void {
    clearInterval(this.#watch);
  }

  #queue(peer: QueueKey): Queue {
    let queue = this.#queues.get(peer);
    if (queue === undefined) {
      queue = { key: peer, cap: peer === UNKNOWN_PEER ? this.#options.queueUnknown : this.#options.queuePerPeer, jobs: [], used: 0 };
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

  #next(): Queue | null {
    let best: Queue | null = null;
    for (const q of this.#active) {
      if (best === null || q.used < best.used) {
        best = q;
      }
    }
    return best;
  }

  async #serve(): Promise<void> {
    const slice = this.#options.sliceMs ?? 1;
    let sliceStart = this.#now();
    try {
      for (let queue = this.#next(); queue !== null; queue = this.#next()) {
        const job = queue.jobs.shift();
        this.#waiting--;
        if (queue.jobs.length === 0) {
          this.#active.delete(queue);
        }
        if (job === undefined) {
          continue;
        }
        const started = this.#now();
        await this.#run(job, queue.key);
        const ended = this.#now();
        queue.used += ended - started;
        if (ended - sliceStart >= slice) {
          await yieldToEventLoop();
          sliceStart = this.#now();
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /** Runs one job to its end, or until the stall watch gives up on it. */
  #run(job: () => Promise<unknown>, key: QueueKey): Promise<void> {
    return new Promise<void>((release) => {
      const done = (): void => release();
      this.#current = { key, started: this.#now(), release: done };
      job().then(done, done);
    }).finally(() => {
      this.#current = null;
    });
  }

  #checkStall(): void {
    const current = this.#current;
    if (current !== null && this.#now() - current.started > (this.#options.stallMs ?? 2000)) {
      this.#current = null;
      this.#options.onStall?.(current.key === UNKNOWN_PEER ? 'unknown' : current.key);
      current.release();
    }
  }
}
