/**
 * Message framing on stream transports (RFC 3261 18.3): a stream carries messages back to back,
 * so each one's end is found from its header section (ends at the empty line) and its
 * Content-Length, which is therefore mandatory on streams. Also recognises the RFC 5626 3.5.1
 * CRLF keep-alive: a double CRLF ("ping") between messages, which the transport answers with a
 * single CRLF ("pong").
 *
 * Pure: feed Buffers, get complete messages, pings, or one framing error after which the
 * framer accepts nothing more (the stream position is lost, so the connection must close).
 *
 * Cost is linear in the bytes fed whatever the chunking: the empty-line search resumes where
 * it stopped, bytes are buffered in a growable store (amortised O(1) per byte), and the common
 * case of a chunk holding whole messages copies nothing.
 */
import { Buffer } from 'node:buffer';

/** Default largest message; one UDP datagram's worth (RFC 3261 18.1.1 speaks of 65,535 bytes). */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_535;
/** Largest header section, same bound as the parser's (src/sip/sip-parser.ts MAX_HEADER_SECTION). */
export const MAX_HEADER_BYTES = 65_536;

export type FramerEvent =
  | { readonly kind: 'message'; readonly data: Buffer }
  | { readonly kind: 'ping' }
  | {
      readonly kind: 'error';
      /** The response a request gets: 400 (framing unreadable) or 513 Message Too Large (RFC 3261 21.5.14). */
      readonly status: 400 | 513;
      readonly reason: string;
      /** The header section as far as it could be read (for salvaging a response), or null. */
      readonly head: Buffer | null;
    };

export interface StreamFramerOptions {
  /** Whole message (headers + body) limit; default 65,535. */
  readonly maxMessageBytes?: number;
  /** Header section limit; default 64 KiB. */
  readonly maxHeaderBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const PING: FramerEvent = { kind: 'ping' };
const INITIAL_STORE = 4096;

type Phase = 'idle' | 'head' | 'body' | 'failed';

type LengthResult = { ok: true; length: number } | { ok: false; reason: string };

/** True when text[at] starts "content-length" / "l" case-insensitively (cheap pre-check before slicing). */
function mayBeContentLength(c: number): boolean {
  const lower = c | 0x20;
  return lower === 0x63 /* c */ || lower === 0x6c /* l */;
}

/**
 * Reads Content-Length (or compact `l`, RFC 3261 7.3.3) from a header section, folded lines
 * included (7.3.1). Several lines must agree; the value is 1*DIGIT (20.14), at most ten digits.
 */
export function readContentLength(head: Buffer): LengthResult {
  // latin1 maps bytes 1:1, so indexes match the Buffer and multi-byte UTF-8 cannot confuse the scan.
  const text = head.toString('latin1');
  const n = text.length;
  const values: string[] = [];
  let current = -1;
  let lineStart = text.indexOf('\n') + 1; // the start line is not a header
  while (lineStart > 0 && lineStart < n) {
    let eol = text.indexOf('\n', lineStart);
    if (eol < 0) {
      eol = n;
    }
    const end = eol > lineStart && text.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
    if (end === lineStart) {
      break;
    }
    const c0 = text.charCodeAt(lineStart);
    if (c0 === SP || c0 === HTAB) {
      if (current >= 0) {
        values[current] = `${values[current] ?? ''} ${text.slice(lineStart, end).trim()}`;
      }
    } else {
      current = -1;
      if (mayBeContentLength(c0)) {
        const colon = text.indexOf(':', lineStart);
        if (colon >= 0 && colon < end) {
          const name = text.slice(lineStart, colon).trim().toLowerCase();
          if (name === 'content-length' || name === 'l') {
            current = values.length;
            values.push(text.slice(colon + 1, end));
          }
        }
      }
    }
    lineStart = eol + 1;
  }
  if (values.length === 0) {
    return { ok: false, reason: 'Missing Content-Length' };
  }
  let length = -1;
  for (const raw of values) {
    const v = raw.trim();
    if (!/^[0-9]{1,10}$/.test(v)) {
      return { ok: false, reason: 'Bad Content-Length' };
    }
    const n = Number(v);
    if (length >= 0 && n !== length) {
      return { ok: false, reason: 'Conflicting Content-Length' };
    }
    length = n;
  }
  return { ok: true, length };
}

export class StreamFramer {
  private readonly maxMessageBytes: number;
  private readonly maxHeaderBytes: number;
  /** Bytes not yet framed, at store[0, len): always start at the current message (or idle run). */
  private store: Buffer = Buffer.alloc(0);
  private len = 0;
  private phase: Phase = 'idle';
  /** CRLF pairs seen in the current run between messages (two make a ping). */
  private crlfRun = 0;
  /** head: offset from the message start where the empty-line search resumes. */
  private scanFrom = 0;
  /** body: size of the whole message. */
  private total = 0;

  constructor(options: StreamFramerOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxHeaderBytes = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
  }

  /** True after a framing error: nothing more will come out. */
  get failed(): boolean {
    return this.phase === 'failed';
  }

  /** True while a message's start line or header section is partly read (the header deadline runs). */
  get inHeader(): boolean {
    return this.phase === 'head';
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.len;
  }

  /** Feeds the next bytes of the stream; returns what they completed, in stream order. */
  push(chunk: Buffer): FramerEvent[] {
    const out: FramerEvent[] = [];
    if (this.phase === 'failed' || chunk.length === 0) {
      return out;
    }
    let data: Buffer;
    let owned: boolean;
    if (this.len === 0) {
      data = chunk;
      owned = false;
    } else {
      this.append(chunk);
      data = this.store.subarray(0, this.len);
      owned = true;
    }
    const consumed = this.drain(data, owned, out);
    if (this.failed) {
      this.store = Buffer.alloc(0);
      this.len = 0;
      return out;
    }
    const left = data.length - consumed;
    if (owned) {
      if (consumed > 0 && left > 0) {
        this.store.copyWithin(0, consumed, this.len);
      }
      this.len = left;
    } else if (left > 0) {
      this.append(data.subarray(consumed));
    }
    return out;
  }

  private append(bytes: Buffer): void {
    const need = this.len + bytes.length;
    if (need > this.store.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.store.length * 2, INITIAL_STORE));
      this.store.copy(grown, 0, 0, this.len);
      this.store = grown;
    }
    bytes.copy(this.store, this.len);
    this.len = need;
  }

  private fail(out: FramerEvent[], status: 400 | 513, reason: string, head: Buffer | null): void {
    // Copy: the store is released and `head` may point into it.
    out.push({ kind: 'error', status, reason, head: head === null ? null : Buffer.from(head) });
    this.phase = 'failed';
  }

  /** Frames as much of `data` as possible; returns the bytes consumed. */
  private drain(data: Buffer, owned: boolean, out: FramerEvent[]): number {
    const n = data.length;
    let pos = 0;
    for (;;) {
      switch (this.phase) {
        case 'idle': {
          // Empty lines before a start line are ignored (RFC 3261 7.5); CRLFCRLF is a ping (RFC 5626 3.5.1).
          while (pos < n) {
            const c = data[pos];
            if (c === LF) {
              pos++;
              this.crlfRun = 0;
            } else if (c === CR) {
              if (pos + 1 >= n) {
                return pos; // keep the CR until we know whether an LF follows
              }
              if (data[pos + 1] !== LF) {
                break; // a stray CR starts a (malformed) message; the parser will say so
              }
              pos += 2;
              if (++this.crlfRun === 2) {
                out.push(PING);
                this.crlfRun = 0;
              }
            } else {
              break;
            }
          }
          if (pos >= n) {
            return pos;
          }
          this.crlfRun = 0;
          this.phase = 'head';
          this.scanFrom = 0;
          break;
        }
        case 'head': {
          const headEnd = this.findHeaderEnd(data, pos);
          if (headEnd < 0) {
            if (n - pos > this.maxHeaderBytes) {
              this.fail(out, 513, 'Header Section Too Large', data.subarray(pos, pos + this.maxHeaderBytes));
            }
            return pos;
          }
          const head = data.subarray(pos, headEnd);
          if (head.length > this.maxHeaderBytes) {
            this.fail(out, 513, 'Header Section Too Large', head.subarray(0, this.maxHeaderBytes));
            return pos;
          }
          const cl = readContentLength(head);
          if (!cl.ok) {
            this.fail(out, 400, cl.reason, head);
            return pos;
          }
          const total = head.length + cl.length;
          if (total > this.maxMessageBytes) {
            this.fail(out, 513, 'Message Too Large', head);
            return pos;
          }
          this.total = total;
          this.phase = 'body';
          break;
        }
        case 'body': {
          if (n - pos < this.total) {
            return pos;
          }
          const message = data.subarray(pos, pos + this.total);
          // The store is overwritten by later pushes; a caller's chunk is never reused.
          out.push({ kind: 'message', data: owned ? Buffer.from(message) : message });
          pos += this.total;
          this.phase = 'idle';
          break;
        }
        case 'failed':
          return pos;
      }
    }
  }

  /**
   * Index just after the empty line ending the header section of the message at `start`, or
   * -1. A line ends at LF with an optional CR before it and the section ends at the first empty
   * line, exactly as the parser reads it, so framer and parser agree on where the body starts
   * (a disagreement would let a body smuggle a message past the parser).
   */
  private findHeaderEnd(data: Buffer, start: number): number {
    const n = data.length;
    let i = start + this.scanFrom;
    for (;;) {
      const lf = data.indexOf(LF, i);
      if (lf < 0) {
        this.scanFrom = n - start;
        return -1;
      }
      const next = lf + 1;
      if (next >= n) {
        this.scanFrom = lf - start;
        return -1;
      }
      const c = data[next];
      if (c === LF) {
        return next + 1;
      }
      if (c === CR) {
        if (next + 1 >= n) {
          this.scanFrom = lf - start;
          return -1;
        }
        if (data[next + 1] === LF) {
          return next + 2;
        }
      }
      i = next;
    }
  }
}
