/**
 * One stream (TCP) connection of the embedded transport: its socket, its framer, its two
 * clocks (stream-deadlines.ts) and its bounded write queue. What the framed bytes mean is the
 * transport's business; this class only keeps the connection within its limits.
 *
 * Write queue: everything the guard queues for the peer (messages and RFC 5626 pongs alike)
 * counts against `maxWriteQueueBytes`; a write that would pass it closes the connection and
 * frees what was queued. A peer that sends CRLFCRLF pings and never reads the pongs therefore
 * costs at most that much (it used to grow memory without bound). Pongs owed while one is
 * still in flight are counted in bytes and sent as one write when it completes, so a ping
 * flood does not queue one write request per ping either.
 */
import { Buffer } from 'node:buffer';
import type net from 'node:net';
import type { Endpoint } from './endpoint.ts';
import { StreamDeadlines, type StreamExpiry } from './stream-deadlines.ts';
import { StreamFramer, type FramerEvent } from './stream-framer.ts';

export interface StreamLimits {
  readonly maxMessageBytes: number;
  readonly headerDeadlineMs: number;
  readonly idleTimeoutMs: number;
  readonly maxWriteQueueBytes: number;
}

export interface StreamConnectionEvents {
  /** What a chunk of input completed, in stream order (pings already answered). */
  readonly onFramed: (conn: StreamConnection, events: readonly FramerEvent[]) => void;
  /** The connection was closed for breaking a limit: `write-queue-full` or `header-deadline`. */
  readonly onLimit: (conn: StreamConnection, kind: 'write-queue-full' | 'header-deadline', detail: string) => void;
  readonly onSocketError: (conn: StreamConnection, err: Error) => void;
  /** A bug on the input path; the connection is destroyed. */
  readonly onInternalError: (conn: StreamConnection, err: unknown) => void;
  /** The socket is gone (called once); the owner forgets the connection. */
  readonly onClosed: (conn: StreamConnection) => void;
}

/** RFC 5626 4.4.1: the pong answering a double-CRLF ping. */
const PONG = Buffer.from('\r\n');

export class StreamConnection {
  readonly id: string;
  readonly socket: net.Socket;
  readonly remote: Endpoint;
  /** Pool keys under which this connection is registered. */
  readonly keys: readonly string[];
  readonly #framer: StreamFramer;
  readonly #deadlines: StreamDeadlines;
  readonly #limits: StreamLimits;
  readonly #events: StreamConnectionEvents;
  /** Set after a framing error or a broken limit: the connection is being closed and takes no more sends. */
  #closing = false;
  #pongInFlight = false;
  /** Pong bytes owed while one pong write is in flight. */
  #owedPongBytes = 0;

  constructor(init: { id: string; socket: net.Socket; remote: Endpoint; keys: readonly string[]; limits: StreamLimits; events: StreamConnectionEvents }) {
    this.id = init.id;
    this.socket = init.socket;
    this.remote = init.remote;
    this.keys = init.keys;
    this.#limits = init.limits;
    this.#events = init.events;
    this.#framer = new StreamFramer({ maxMessageBytes: init.limits.maxMessageBytes });
    this.#deadlines = new StreamDeadlines({
      headerDeadlineMs: init.limits.headerDeadlineMs,
      idleTimeoutMs: init.limits.idleTimeoutMs,
      onExpired: (why) => this.#expired(why),
    });
    const socket = init.socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#events.onSocketError(this, err));
    socket.on('close', () => {
      this.#deadlines.stop();
      this.#owedPongBytes = 0;
      this.#events.onClosed(this);
    });
  }

  /** True while sends are accepted. */
  get usable(): boolean {
    return !this.#closing && !this.socket.destroyed && this.socket.writable;
  }

  /** Bytes queued for the peer and not yet handed to the OS, owed pongs included. */
  get queuedBytes(): number {
    return this.socket.writableLength + this.#owedPongBytes;
  }

  /** Queues `data`; rejects if the connection is closed or the write queue would pass its cap (the connection is then closed). */
  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.usable) {
        reject(new Error(`${this.id} is closed`));
        return;
      }
      if (!this.#fits(data.length)) {
        reject(new Error(`${this.id}: peer is not reading, connection dropped`));
        return;
      }
      this.#deadlines.sent();
      this.socket.write(data, (err) => {
        if (err) {
          reject(err);
        } else {
          resolve();
        }
      });
    });
  }

  /** Half-closes after `last` (a framing error ends the stream position); destroyed after `lingerMs` if the peer does not close. */
  finish(last: Buffer | null, lingerMs: number): void {
    this.#closing = true;
    if (last === null) {
      this.socket.end();
    } else {
      this.socket.end(last);
    }
    setTimeout(() => this.socket.destroy(), lingerMs).unref();
  }

  #onData(chunk: Buffer): void {
    try {
      const events = this.#framer.push(chunk);
      let completed = false;
      for (const event of events) {
        if (event.kind === 'ping') {
          this.#pong();
        }
        completed ||= event.kind !== 'error';
      }
      this.#deadlines.framed(completed, this.#framer.inHeader);
      if (events.length > 0 && !this.socket.destroyed) {
        this.#events.onFramed(this, events);
      }
    } catch (err) {
      this.socket.destroy();
      this.#events.onInternalError(this, err);
    }
  }

  #pong(): void {
    if (!this.usable) {
      return;
    }
    if (this.#pongInFlight) {
      this.#owedPongBytes += PONG.length;
      this.#fits(0);
      return;
    }
    this.#sendPongs(PONG);
  }

  #sendPongs(data: Buffer): void {
    if (!this.#fits(data.length)) {
      return;
    }
    this.#pongInFlight = true;
    this.socket.write(data, () => {
      this.#pongInFlight = false;
      const owed = this.#owedPongBytes;
      if (owed > 0 && this.usable) {
        this.#owedPongBytes = 0;
        this.#sendPongs(Buffer.alloc(owed, PONG));
      }
    });
  }

  /** True when `more` bytes fit in the write queue; else the connection is closed as a peer that does not read. */
  #fits(more: number): boolean {
    const queued = this.queuedBytes;
    if (queued + more <= this.#limits.maxWriteQueueBytes) {
      return true;
    }
    this.#close('write-queue-full', `${this.id}: ${queued + more} bytes queued for a peer that does not read (max_write_queue_bytes ${this.#limits.maxWriteQueueBytes})`);
    return false;
  }

  #expired(why: StreamExpiry): void {
    if (why === 'idle') {
      this.socket.destroy(); // routine: no message for idle_timeout_ms
      return;
    }
    this.#close('header-deadline', `${this.id}: header section not complete within ${this.#limits.headerDeadlineMs} ms`);
  }

  #close(kind: 'write-queue-full' | 'header-deadline', detail: string): void {
    if (this.#closing && this.socket.destroyed) {
      return;
    }
    this.#closing = true;
    this.#owedPongBytes = 0;
    this.socket.destroy(); // frees the queued writes at once
    this.#events.onLimit(this, kind, detail);
  }
}
