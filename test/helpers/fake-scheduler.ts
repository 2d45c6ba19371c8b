/** Manual time for the transaction tests (the Scheduler the layer runs on, driven by hand). */
import type { Scheduler, TimerHandle } from '../../src/transaction/scheduler.ts';

function noop(): void {}

interface FakeTimer {
  readonly at: number;
  /** Insertion order: timers due at the same instant fire in the order they were set. */
  readonly seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Heap order: due time, then insertion order (timers due at the same instant fire in the order set). */
function before(a: FakeTimer, b: FakeTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Manual time for tests. `advance(ms)` moves the clock forward, firing every timer that falls
 * due on the way, in due-time order, each with `now()` equal to its due time; timers set by a
 * callback fire in the same `advance` when they fall inside it. Nothing runs by itself.
 * A binary heap keeps set/fire at O(log n), so load tests with many transactions stay fast.
 */
export class FakeScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private readonly heap: FakeTimer[] = [];
  private live = 0;

  constructor(startMs = 0) {
    this.time = startMs;
  }

  set(ms: number, fn: () => void): TimerHandle {
    const timer: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    this.live++;
    return timer as unknown as TimerHandle;
  }

  clear(handle: TimerHandle): void {
    const timer = handle as unknown as FakeTimer;
    if (timer.cancelled) {
      return;
    }
    // Lazy removal: the entry is skipped when it reaches the top of the heap. Dropping the
    // callback now keeps a cleared timer from holding on to what it would have touched.
    timer.cancelled = true;
    timer.fn = noop;
    this.live--;
  }

  now(): number {
    return this.time;
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.live;
  }

  /** Moves the clock forward by `ms`, firing what falls due (a timer due exactly at the end fires). */
  advance(ms: number): void {
    const end = this.time + Math.max(0, ms);
    for (;;) {
      const next = this.heap[0];
      if (next === undefined || next.at > end) {
        break;
      }
      this.pop();
      if (next.cancelled) {
        continue;
      }
      next.cancelled = true;
      this.live--;
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }

  /** Fires everything pending, timers set meanwhile included, up to `limit` firings (guards against endless re-arming). */
  runAll(limit = 100_000): void {
    let fired = 0;
    for (;;) {
      const next = this.heap[0];
      if (next === undefined) {
        return;
      }
      this.pop();
      if (next.cancelled) {
        continue;
      }
      if (++fired > limit) {
        this.push(next);
        throw new Error(`FakeScheduler.runAll: more than ${limit} timers fired`);
      }
      next.cancelled = true;
      this.live--;
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
  }

  private push(timer: FakeTimer): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (p === undefined || !before(timer, p)) {
        break;
      }
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) {
      return;
    }
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) {
        break;
      }
      const r = l + 1;
      const left = heap[l];
      const right = heap[r];
      if (left === undefined) {
        break;
      }
      const child = right !== undefined && before(right, left) ? r : l;
      const c = child === r && right !== undefined ? right : left;
      if (!before(c, last)) {
        break;
      }
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
  }
}
