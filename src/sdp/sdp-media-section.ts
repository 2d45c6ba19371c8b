/**
 * One m-line section of an SDP document: its m-line fields, its bandwidth and whether the guard
 * polices it as a data channel m-line (default deny: any SCTP proto, and any non-RTP m-line that
 * looks like one). Kept apart from the document walk in sdp-doc.ts because this is where the
 * guard decides what counts as a DC m-line at all; an m-line it got wrong here would carry
 * channels no later check looks at.
 */
import { readChannels, type DocChannel } from './dc-channels.ts';
import { parseDigits, splitTokens } from './sdp-fields.ts';

export interface DocMedia {
  readonly index: number;
  /** Doc line index of the `m=` line. */
  readonly line: number;
  /** Doc line index one past the last line of this m-line's section. */
  readonly end: number;
  readonly type: string;
  /**
   * Port of the m-line; -1 when it cannot be read (`9x`, `+9`). Such an m-line is not refused:
   * callers treat -1 as open, so its channels are policed as an open DC m-line's, and refusing it
   * sets the whole port token to 0.
   */
  readonly port: number;
  readonly proto: string;
  readonly isDc: boolean;
  readonly bandwidthKbps: number | null;
  /** DC m-lines only: channels by stream id, in the order of their first dcmap line. */
  readonly channels: ReadonlyMap<number, DocChannel>;
}

/**
 * Any proto naming SCTP is a DC proto (RFC 8841: UDP/DTLS/SCTP, TCP/DTLS/SCTP; the older
 * DTLS/SCTP, and SCTP or SCTP/DTLS as other stacks write them): default-deny, so an SCTP
 * association under a spelling the guard did not list is still policed.
 */
function isDcProto(proto: string): boolean {
  return proto.toLowerCase().includes('sctp');
}
/**
 * A non-RTP m-line that names the data channel format or carries data channel attributes is
 * policed as a DC m-line whatever its proto (`m=application 9 UDP/DTLS webrtc-datachannel` with
 * `a=dcmap` lines): a lenient receiver may open the channels it lists, so an untrusted peer must
 * not get them past the guard by misspelling the proto. RTP m-lines are media, not channels.
 */
function looksLikeDc(tokens: readonly string[], texts: readonly string[], line: number, end: number): boolean {
  if (/rtp/i.test(tokens[2] ?? '')) {
    return false;
  }
  if (tokens.slice(3).some((fmt) => fmt.toLowerCase() === 'webrtc-datachannel')) {
    return true;
  }
  for (let i = line + 1; i < end; i += 1) {
    if (DC_ATTRIBUTE.test(texts[i] ?? '')) {
      return true;
    }
  }
  return false;
}

const DC_ATTRIBUTE = /^a=(dcmap|dcsa|sctp-port|sctpmap|max-message-size|3gpp-req-app|3gpp-bdc-used-by)(:|$)/i;
const NO_CHANNELS: ReadonlyMap<number, DocChannel> = new Map();

/** What makes an m-line what it is to the guard: its fields, and whether it is policed as a DC m-line. */
export interface MediaClass {
  readonly type: string;
  readonly port: number;
  readonly proto: string;
  readonly isDc: boolean;
}

/**
 * The m-line at `texts[line]`, its section running to `end` (exclusive). Also used alone, on
 * an SDP the strict reader refuses but the guard let through unread (between trusted peers):
 * one rule for what a DC m-line is, whoever reads it.
 */
export function classifyMedia(texts: readonly string[], line: number, end: number): MediaClass {
  const tokens = splitTokens(texts[line] ?? '', 2);
  const type = tokens[0] ?? '';
  const port = parsePort(tokens[1]);
  let proto = tokens[2] ?? '';
  // Every SCTP m-line is policed as a DC m-line, whatever its fmt: the older
  // draft-ietf-mmusic-sctp-sdp form (`DTLS/SCTP 5000` + `a=sctpmap:5000 webrtc-datachannel`)
  // carries data channels too, and an SCTP association the guard does not look into is one
  // an AS could open channels on unseen.
  let isDc = isDcProto(proto);
  if (port < 0 && !isDc) {
    // An unreadable port puts the field alignment in doubt: with the port left out
    // (`m=application  UDP/DTLS/SCTP webrtc-datachannel`) sdp-transform still reads the proto
    // as UDP/DTLS/SCTP. So any DC proto among the fields makes it a DC m-line (policed as open).
    for (let k = 1; k < tokens.length; k += 1) {
      const token = tokens[k] ?? '';
      if (isDcProto(token)) {
        isDc = true;
        proto = token;
        break;
      }
    }
  }
  isDc ||= looksLikeDc(tokens, texts, line, end);
  return { type, port, proto, isDc };
}

export function readMedia(texts: readonly string[], index: number, line: number, end: number): DocMedia {
  const { type, port, proto, isDc } = classifyMedia(texts, line, end);

  // b=AS: of this m-line; when written more than once, the largest counts (the peer may use any).
  // One the guard cannot read (`b=AS:1e9`, `b=AS:500kbps`) may be read by the peer as anything,
  // so it makes the m-line's bandwidth null, which the policy treats as unlimited.
  let bandwidthKbps: number | null = null;
  let unreadableBandwidth = false;
  for (let i = line + 1; i < end; i += 1) {
    const text = texts[i] ?? '';
    if (!text.startsWith('b=')) {
      continue;
    }
    const colon = text.indexOf(':');
    const bwtype = colon < 0 ? '' : text.slice(2, colon).trim().toUpperCase();
    if (bwtype === 'RS' || bwtype === 'RR') {
      continue; // RTCP bandwidth (RFC 3556): nothing an SCTP association uses
    }
    if (bwtype !== 'AS') {
      // TIAS (RFC 3890), CT or a type the guard does not know: a receiver may go by it instead
      // of b=AS, so with it beside b=AS the m-line's bandwidth is not known (default deny).
      unreadableBandwidth = true;
      continue;
    }
    const value = parseDigits(text.slice(colon + 1).trim());
    if (value === null) {
      unreadableBandwidth = true;
    } else if (bandwidthKbps === null || value > bandwidthKbps) {
      bandwidthKbps = value;
    }
  }
  if (unreadableBandwidth) {
    bandwidthKbps = null;
  }

  const channels = isDc ? readChannels(texts, line, end) : NO_CHANNELS;
  return { index, line, end, type, port, proto, isDc, bandwidthKbps, channels };
}

/** Port of an m-line port token (`9`, `9/2`); -1 when unreadable. */
function parsePort(token: string | undefined): number {
  if (token === undefined) {
    return -1;
  }
  const slash = token.indexOf('/');
  return parseDigits(slash < 0 ? token : token.slice(0, slash)) ?? -1;
}
