/**
 * The two clocks of a stream connection:
 *
 * - header deadline: once the first byte of a message has arrived, its start line and header
 *   section must be complete within `headerDeadlineMs`. A socket idle timer alone is reset by
 *   every byte, so a header sent one byte a second would hold the connection (and its buffer)
 *   for ever (the "slow header" attack).
 * - idle timeout: a connection that completes no message (a keep-alive ping counts, RFC 5626
 *   4.4.1, and so does a message the guard sends on it) for `idleTimeoutMs` is closed, however
 *   many bytes trickle in.
 *
 * The idle timer is re-armed lazily from a timestamp, so a busy connection costs no timer
 * churn per message.
 */

export type StreamExpiry = 'header-deadline' | 'idle';

export interface StreamDeadlineOptions {
  readonly headerDeadlineMs: number;
  readonly idleTimeoutMs: number;
  /** Called at most once, when a clock runs out; the owner closes the connection. */
  readonly onExpired: (why: StreamExpiry) => void;
}

const now = (): number => performance.now();

export class StreamDeadlines {
  readonly #options: StreamDeadlineOptions;
  #header: NodeJS.Timeout | null = null;
  #idle: NodeJS.Timeout | null = null;
  #lastActivity = now();
  #stopped = false;

  constructor(options: StreamDeadlineOptions) {
    this.#options = options;
    this.#armIdle(options.idleTimeoutMs);
  }

  /**
   * After bytes were framed. `completed`: they finished at least one message or ping.
   * `inHeader`: a message's header section is now partly read (its deadline starts, or runs on).
   */
  framed(completed: boolean, inHeader: boolean): void {
    if (this.#stopped) {
      return;
    }
    if (completed) {
      this.#lastActivity = now();
      this.#clearHeader(); // a message in progress now is a new one: its own deadline
    }
    if (inHeader && this.#header === null) {
      this.#header = setTimeout(() => this.#expire('header-deadline'), this.#options.headerDeadlineMs);
      this.#header.unref();
    } else if (!inHeader) {
      this.#clearHeader();
    }
  }

  /** The guard sent a message on the connection: it is in use. */
  sent(): void {
    this.#lastActivity = now();
  }

  stop(): void {
    this.#stopped = true;
    this.#clearHeader();
    if (this.#idle !== null) {
      clearTimeout(this.#idle);
      this.#idle = null;
    }
  }

  #clearHeader(): void {
    if (this.#header !== null) {
      clearTimeout(this.#header);
      this.#header = null;
    }
  }

  #armIdle(ms: number): void {
    this.#idle = setTimeout(() => {
      const left = this.#lastActivity + this.#options.idleTimeoutMs - now();
      if (left > 0) {
        this.#armIdle(left);
      } else {
        this.#expire('idle');
      }
    }, ms);
    this.#idle.unref();
  }

  #expire(why: StreamExpiry): void {
    if (this.#stopped) {
      return;
    }
    this.stop();
    this.#options.onExpired(why);
  }
}
