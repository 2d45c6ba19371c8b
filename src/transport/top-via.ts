/**
 * The top Via of a message: the one the transport annotates (RFC 3261 18.2.1), responses are
 * routed by (18.2.2) and transactions are matched on (17.1.3, 17.2.3).
 */
import { splitHeaderValues } from '../sip/header-values.ts';
import { canonicalHeaderName } from '../sip/sip-header-names.ts';
import type { SipMessage } from '../sip/sip-message.ts';
import { SipParseError } from '../sip/sip-parse-error.ts';
import { formatVia, parseVia } from '../sip/via.ts';
import type { Via } from '../sip/via.ts';

export interface TopVia {
  readonly via: Via;
  /** Index of the header line holding it in `msg.headers`. */
  readonly line: number;
  /** The other values on that line (RFC 3261 7.3.1: one line may carry several Vias). */
  readonly rest: readonly string[];
}

/** Index of the first Via line, or -1. Parsed messages store "Via"; hand-built ones may not. */
function firstViaLine(msg: SipMessage): number {
  const headers = msg.headers;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i]?.name;
    if (name === 'Via' || (name !== undefined && canonicalHeaderName(name) === 'Via')) {
      return i;
    }
  }
  return -1;
}

/** Parses the top Via. Throws SipParseError when there is none or it is malformed. */
export function readTopVia(msg: SipMessage): TopVia {
  const line = firstViaLine(msg);
  const value = line < 0 ? undefined : msg.headers[line]?.value;
  if (value === undefined) {
    throw new SipParseError('missing Via header');
  }
  // Fast path: one Via per line is the norm.
  if (value.indexOf(',') < 0) {
    return { via: parseVia(value), line, rest: [] };
  }
  const values = splitHeaderValues(value);
  return { via: parseVia(values[0] ?? ''), line, rest: values.slice(1) };
}

/** Writes `via` back in place of the top Via, keeping the other values of its line. */
export function replaceTopVia(msg: SipMessage, top: TopVia, via: Via): void {
  const first = formatVia(via);
  const value = top.rest.length === 0 ? first : [first, ...top.rest].join(', ');
  msg.headers[top.line] = { name: 'Via', value };
}
