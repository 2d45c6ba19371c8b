/**
 * What the guard accepts before it does any policy work (profile `limits.message`). Each bound
 * caps the work a later layer can be made to do by one message: header values are split and
 * parsed, SDP bodies scanned and multipart trees walked several times on the way through the
 * controller, so a message within these bounds costs a small multiple of a typical INVITE
 * however it is built (measured in `npm run bench`).
 *
 * Over a bound the parser throws SipParseError with the status the request is answered with:
 * 513 for sizes (RFC 3261 21.5.14), 400 for counts in the header section, 413 for bodies
 * (RFC 3261 21.4.11). A response over a bound is dropped by whoever parsed it.
 */
import { SipParseError } from './sip-parse-error.ts';

export interface MessageLimits {
  readonly maxMessageBytes: number;
  readonly maxHeaders: number;
  /** One header line, name and value, after unfolding. */
  readonly maxHeaderBytes: number;
  /** `;` outside quoted strings on one header line (URI parameters inside <...> count too). */
  readonly maxParamsPerHeader: number;
  /** Comma-separated entries of one header name over all its lines. */
  readonly maxListEntries: number;
  /** Over all SDP of a message (every SDP part of a multipart body together): the policing work per message. */
  readonly maxSdpLines: number;
  readonly maxSdpMedia: number;
  /** Leaf parts of a multipart tree. */
  readonly maxBodyParts: number;
  /** Nesting of multipart containers; the outermost counts 1. */
  readonly maxMultipartDepth: number;
}

/** The profile's defaults (sip-profiles/profile.schema.json repeats them for editors). */
export const DEFAULT_MESSAGE_LIMITS: MessageLimits = Object.freeze({
  maxMessageBytes: 65_535,
  maxHeaders: 256,
  maxHeaderBytes: 8192,
  maxParamsPerHeader: 64,
  maxListEntries: 32,
  maxSdpLines: 256,
  maxSdpMedia: 16,
  maxBodyParts: 4,
  maxMultipartDepth: 2,
});

const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const SEMI = 0x3b;
const LT = 0x3c;
const GT = 0x3e;

/**
 * Counts entries per header name over the lines of one message; `check` throws on the first line
 * over a bound. One pass over each value, which the parser has just read anyway.
 */
export class HeaderLineBudget {
  readonly #limits: MessageLimits;
  readonly #entries = new Map<string, number>();

  constructor(limits: MessageLimits) {
    this.#limits = limits;
  }

  check(name: string, value: string): void {
    const limits = this.#limits;
    if (name.length + 2 + value.length > limits.maxHeaderBytes) {
      throw new SipParseError(`Message Too Large: a ${name} header line is longer than ${limits.maxHeaderBytes} bytes`, 513);
    }
    let params = 0;
    let commas = 0;
    // Fast path: most values have neither separator.
    if (value.indexOf(';') >= 0 || value.indexOf(',') >= 0) {
      let inQuote = false;
      let inAngle = false;
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (inQuote) {
          if (c === BACKSLASH) {
            i++;
          } else if (c === DQUOTE) {
            inQuote = false;
          }
        } else if (c === DQUOTE) {
          inQuote = true;
        } else if (c === SEMI) {
          params++;
        } else if (c === LT) {
          inAngle = true;
        } else if (c === GT) {
          inAngle = false;
        } else if (c === COMMA && !inAngle) {
          commas++;
        }
      }
    }
    if (params > limits.maxParamsPerHeader) {
      throw new SipParseError(`more than ${limits.maxParamsPerHeader} parameters on a ${name} header line`);
    }
    const entries = (this.#entries.get(name) ?? 0) + commas + 1;
    if (entries > limits.maxListEntries) {
      throw new SipParseError(`more than ${limits.maxListEntries} ${name} entries`);
    }
    this.#entries.set(name, entries);
  }
}

/** Counts the lines and m-lines of SDP bodies; throws 413 once a message's SDP passes either bound. */
export class SdpBudget {
  readonly #limits: MessageLimits;
  #lines = 0;
  #media = 0;

  constructor(limits: MessageLimits) {
    this.#limits = limits;
  }

  add(sdp: string): void {
    let at = 0;
    const n = sdp.length;
    while (at < n) {
      this.#lines++;
      if (sdp.charCodeAt(at) === 0x6d /* m */ && sdp.charCodeAt(at + 1) === 0x3d /* = */) {
        this.#media++;
      }
      const eol = sdp.indexOf('\n', at);
      if (eol < 0) {
        break;
      }
      at = eol + 1;
    }
    if (this.#lines > this.#limits.maxSdpLines) {
      throw new SipParseError(`Request Entity Too Large: more than ${this.#limits.maxSdpLines} lines of SDP`, 413);
    }
    if (this.#media > this.#limits.maxSdpMedia) {
      throw new SipParseError(`Request Entity Too Large: more than ${this.#limits.maxSdpMedia} SDP m-lines`, 413);
    }
  }
}
