/**
 * The line-level SDP document behind readSdp, applyDcEdits and alignAnswer. Hand-written on
 * purpose, rather than built on sdp-transform's parse/write:
 *
 * 1. Byte-exact output. sdp-transform re-orders attributes and normalises spacing when it
 *    writes, but an SDP the guard does not change must leave byte for byte as it came, and one
 *    it does change must differ only in the lines the guard touched. So the original text is
 *    kept as a list of lines, each with its own line ending (CRLF, LF or a lone CR, mixed if the
 *    input mixed them), split into the session section and one section per m-line, and a
 *    rewrite only drops or replaces whole lines of it.
 * 2. One reading for reading and rewriting. The DC model readSdp reports (which dcmap, dcsa and
 *    3gpp-req-app lines belong to which channel) is the very one the rewriter deletes lines by,
 *    so the two can never disagree about an association. The view returned by readSdp is tied
 *    to its document (WeakMap), so a verdict reads the text once: no sdp-transform parse on top
 *    (which alone costs several times this whole scan).
 * 3. Strict lines, so nothing hides from the guard. Lines are split exactly as sdp-transform
 *    splits them (CRLF, LF, lone CR), and every line must be an SDP line (RFC 4566 section 5,
 *    RFC 8866 section 5: `<type>=<value>`, type exactly one lower-case letter, directly followed
 *    by `=`). sdp-transform silently drops any other line, but a lenient peer may trim, lower-case
 *    or otherwise read it: ` m=application ...`, `M=application ...`, `a =dcmap:...` would be a DC
 *    m-line or channel the guard never saw. So such a line makes the whole body an SdpParseError
 *    (the caller decides: the verdict engine fails closed for untrusted peers). Likewise refused:
 *    an empty line anywhere but at the very end, text before `v=` other than empty lines, C0/C1
 *    control characters other than tab (NUL, VT, FF, NEL...), U+2028/U+2029 (line breaks to some
 *    splitters), U+FEFF, and outside the free-text lines (s=, i=, u=, e=, p=) any non-ASCII
 *    white space (NBSP and the like, which `\s`-splitting peers read as field separators where
 *    this reader would not). Tolerated because the guard reads them as a lenient peer would:
 *    empty lines before `v=` and at the very end (a final CRLF CRLF), blanks after `=` and at
 *    the end of a line, runs of spaces/tabs between fields, a port count (`5000/2`).
 *    Inside a DC m-line, a dcmap or dcsa line whose stream id cannot be read, a dcmap line whose
 *    label/subprotocol is ambiguous, is refused too: skipping it would hide a channel.
 *    m-line indexes agree with sdp-transform on well-formed SDP (m-line fields are split on any
 *    run of spaces/tabs, where sdp-transform's single-space grammar would drop the fields and a
 *    DC m-line would go unseen; sdp-transform also turns the `o=` version into a lossy number).
 *    The property tests check that both read the same structure from well-formed SDP.
 *    Error messages name the 1-based line number and the reason, never the line's text: an SDP
 *    carries identities (o= username, e=, p=) and the message goes to the decision log.
 *
 * Everything is linear scanning with indexOf/charCodeAt: no regular expressions, so no
 * backtracking on hostile input.
 */
import { dcmapParamsProblem, parseDcmapParams } from './dcmap-params.ts';
import { SdpParseError } from './sdp-parse-error.ts';
import { attributeName, isDigit, isSpace, nameAt, parseDigits, splitTokens } from './sdp-fields.ts';
import { lineError, lineProblem } from './sdp-line-check.ts';
import { splitLines } from './sdp-raw-lines.ts';
import type { DcChannel, DcMedia, SdpOrigin, SdpView } from './sdp-types.ts';

/** The lines of one channel and what readSdp reports about it. */
export interface DocChannel {
  readonly channel: DcChannel;
  /** Doc line indexes of its dcmap lines (duplicates included), dcsa lines and associated 3gpp-req-app lines. */
  readonly lines: readonly number[];
}

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

export interface SdpDoc {
  readonly raw: string;
  /** Line texts without line endings; joined with `eols` they give `raw` back exactly. */
  readonly texts: readonly string[];
  readonly eols: readonly string[];
  /** Doc line index of the session-level `o=` line, or -1. */
  readonly originLine: number;
  readonly origin: SdpOrigin | null;
  readonly media: readonly DocMedia[];
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
const BOOTSTRAP_STREAMS = new Set([0, 10, 100, 110]);
const NO_CHANNELS: ReadonlyMap<number, DocChannel> = new Map();

/**
 * Reads `raw` into lines. Throws SdpParseError unless every line is an SDP line (see the
 * header, point 3): `v=` first (after empty lines only), no empty line but at the very end.
 */
export function parseDoc(raw: string): SdpDoc {
  if (typeof raw !== 'string') {
    throw new SdpParseError('SDP body is not a string');
  }
  const texts: string[] = [];
  const eols: string[] = [];
  splitLines(raw, texts, eols);

  // Empty lines (CR/LF only) are tolerated before v= and after the last line: they carry
  // nothing a peer could read. Anything else before v= (blanks, a BOM) is not an SDP line.
  let first = 0;
  while (first < texts.length && texts[first] === '') {
    first += 1;
  }
  let last = texts.length - 1;
  while (last >= first && texts[last] === '') {
    last -= 1;
  }
  if (first > last) {
    throw new SdpParseError('empty SDP body');
  }
  if (!(texts[first] ?? '').startsWith('v=')) {
    throw new SdpParseError(`SDP line ${first + 1}: SDP body does not start with a v= line (RFC 4566 section 5)`);
  }

  const mLines: number[] = [];
  let originLine = -1;
  for (let i = first; i <= last; i += 1) {
    const text = texts[i] ?? '';
    const problem = lineProblem(text);
    if (problem !== null) {
      throw lineError(i, problem);
    }
    if (text.startsWith('m=')) {
      mLines.push(i);
    } else if (originLine < 0 && mLines.length === 0 && text.startsWith('o=')) {
      originLine = i;
    }
  }

  let origin: SdpOrigin | null = null;
  if (originLine >= 0) {
    const tokens = splitTokens(texts[originLine] ?? '', 2);
    const [username, sessionId, sessionVersion] = tokens;
    if (username !== undefined && sessionId !== undefined && sessionVersion !== undefined) {
      origin = { username, sessionId, sessionVersion };
    }
  }

  const media: DocMedia[] = [];
  for (let k = 0; k < mLines.length; k += 1) {
    const line = mLines[k] ?? 0;
    const end = mLines[k + 1] ?? texts.length;
    media.push(readMedia(texts, k, line, end));
  }
  return { raw, texts, eols, originLine, origin, media };
}

function readMedia(texts: readonly string[], index: number, line: number, end: number): DocMedia {
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

interface ChannelDraft {
  readonly streamId: number;
  readonly dcmapParams: string;
  readonly kind: DcChannel['kind'];
  readonly label: string | null;
  readonly subprotocol: string | null;
  readonly dcsa: string[];
  readonly lines: number[];
  app: string | null;
  /** Two different app ids were associated: the channel is an unknown application. */
  conflict: boolean;
}

interface Association {
  readonly line: number;
  readonly streamId: number;
  /** The dcsa value for a dcsa line, null for a media-level 3gpp-req-app line. */
  readonly dcsa: string | null;
  readonly app: string | null;
}

/**
 * Channels of one DC m-line (TS 24.186 9.3, RFC 8864). Association of `3gpp-req-app`:
 * `a=dcsa:<id> 3gpp-req-app:<app>` belongs to stream <id>; a media-level `a=3gpp-req-app`
 * belongs to the nearest preceding dcmap line; one that precedes every dcmap line goes to the
 * first application channel still without an app id. The app id is the first token of the
 * associated value; a channel named with two different app ids has none (unknown application).
 */
function readChannels(texts: readonly string[], line: number, end: number): ReadonlyMap<number, DocChannel> {
  const drafts = new Map<number, ChannelDraft>();
  const associations: Association[] = [];
  const leading: { line: number; app: string | null }[] = [];
  let lastDcmap: number | null = null;

  for (let i = line + 1; i < end; i += 1) {
    const text = texts[i] ?? '';
    if (!text.startsWith('a=')) {
      continue;
    }
    const name = attributeName(text);
    if (name === 'dcmap') {
      // Skipping a dcmap line the guard cannot read would hide a channel from it that a lenient
      // peer (parseInt, a wrapping 16-bit id) still opens.
      const parsed = splitStreamId(text);
      if (parsed === null) {
        throw lineError(i, 'a=dcmap without a readable stream id (RFC 8864 section 5.1: 1*5DIGIT, at most 65535, then a space)');
      }
      const ambiguity = dcmapParamsProblem(parsed.rest);
      if (ambiguity !== null) {
        throw lineError(i, `a=dcmap:${parsed.streamId} ${ambiguity}`);
      }
      lastDcmap = parsed.streamId;
      const existing = drafts.get(parsed.streamId);
      if (existing !== undefined) {
        // One reader keeps the first line, another the last: stream 0 could be an app channel to
        // the guard and an HTTP bootstrap to the UE. Ambiguous, so unreadable (RFC 8864 5.1: unique).
        throw lineError(i, `a=dcmap:${parsed.streamId} names a stream id already mapped in this m-line`);
      }
      const params = parseDcmapParams(parsed.rest);
      // Subprotocol names compare case-insensitively for a lenient peer: "HTTP" is a bootstrap too.
      const bootstrap = params.subprotocol?.toLowerCase() === 'http' && BOOTSTRAP_STREAMS.has(parsed.streamId);
      drafts.set(parsed.streamId, {
        streamId: parsed.streamId,
        dcmapParams: parsed.rest,
        kind: bootstrap ? 'bootstrap' : 'application',
        label: params.label,
        subprotocol: params.subprotocol,
        dcsa: [],
        lines: [i],
        app: null,
        conflict: false,
      });
    } else if (name === 'dcsa') {
      // A dcsa line the guard cannot read could carry a 3gpp-req-app the peer acts on.
      const parsed = splitStreamId(text);
      if (parsed === null) {
        throw lineError(i, 'a=dcsa without a readable stream id (RFC 8864 section 5.2: 1*5DIGIT, at most 65535, then a space)');
      }
      const app = nameAt(parsed.rest, 0) === '3gpp-req-app' ? reqAppId(parsed.rest) : null;
      associations.push({ line: i, streamId: parsed.streamId, dcsa: parsed.rest, app });
    } else if (name === '3gpp-req-app') {
      const app = reqAppId(text);
      if (lastDcmap === null) {
        leading.push({ line: i, app });
      } else {
        associations.push({ line: i, streamId: lastDcmap, dcsa: null, app });
      }
    }
  }

  for (const association of associations) {
    const draft = drafts.get(association.streamId);
    if (draft === undefined) {
      continue; // a dcsa line for a stream without dcmap belongs to no channel
    }
    draft.lines.push(association.line);
    if (association.dcsa !== null) {
      draft.dcsa.push(association.dcsa);
    }
    assignApp(draft, association.app);
  }
  // A channel that has an app id keeps it, so one forward pass over the channels suffices.
  const ordered = [...drafts.values()];
  let next = 0;
  for (const orphan of leading) {
    while (next < ordered.length && !wantsApp(ordered[next])) {
      next += 1;
    }
    const draft = ordered[next];
    if (draft === undefined) {
      break; // no application channel left without an app id: the line belongs to no channel
    }
    draft.lines.push(orphan.line);
    assignApp(draft, orphan.app);
  }

  const channels = new Map<number, DocChannel>();
  for (const draft of drafts.values()) {
    const channel: DcChannel = {
      streamId: draft.streamId,
      kind: draft.kind,
      appId: draft.kind === 'bootstrap' || draft.conflict ? null : draft.app,
      label: draft.label,
      subprotocol: draft.subprotocol,
      dcmapParams: draft.dcmapParams,
      dcsa: draft.dcsa,
    };
    channels.set(draft.streamId, { channel, lines: draft.lines });
  }
  return channels;
}

/**
 * Records an associated app id. A channel named with two different app ids is an unknown
 * application: the guard cannot know which one the far end will act on, so it grants neither.
 */
function assignApp(draft: ChannelDraft, app: string | null): void {
  if (app === null) {
    return;
  }
  if (draft.app === null) {
    draft.app = app;
  } else if (draft.app !== app) {
    draft.conflict = true;
  }
}

/** An application channel that no 3gpp-req-app line has named yet. */
function wantsApp(draft: ChannelDraft | undefined): boolean {
  return draft !== undefined && draft.kind === 'application' && draft.app === null && !draft.conflict;
}

/** First token of a `3gpp-req-app` value (`<text>` is `...3gpp-req-app:<value>`), or null when empty. */
function reqAppId(text: string): string | null {
  const colon = text.indexOf(':');
  if (colon < 0) {
    return null;
  }
  return splitTokens(text, colon + 1)[0] ?? null;
}

/**
 * `a=dcmap:<id> <rest>` / `a=dcsa:<id> <rest>` → stream id and trimmed rest, or null when the id
 * is not 1 to 5 digits (RFC 8864 5.1) of at most 65535 (an SCTP stream id is 16 bits, RFC 4960
 * 3.3.1): a longer id would be a different channel to the guard than to a peer that wraps it.
 */
function splitStreamId(text: string): { streamId: number; rest: string } | null {
  const colon = text.indexOf(':');
  if (colon < 0) {
    return null;
  }
  let p = colon + 1;
  while (p < text.length && isSpace(text.charCodeAt(p))) {
    p += 1;
  }
  const start = p;
  while (p < text.length && isDigit(text.charCodeAt(p))) {
    p += 1;
  }
  if (p === start || p - start > 5 || (p < text.length && !isSpace(text.charCodeAt(p)))) {
    return null;
  }
  const streamId = Number(text.slice(start, p));
  return streamId > 65535 ? null : { streamId, rest: text.slice(p).trim() };
}

/**
 * The document's text with some lines replaced (a string, without line ending) or dropped
 * (null). Every other line comes out byte for byte, and every kept line with its own line
 * ending, so a rewrite differs from the original only in the lines it names.
 */
export function renderDoc(doc: SdpDoc, edits: ReadonlyMap<number, string | null>): string {
  let out = '';
  for (let line = 0; line < doc.texts.length; line += 1) {
    const edit = edits.get(line);
    if (edit === null) {
      continue;
    }
    out += (edit ?? doc.texts[line] ?? '') + (doc.eols[line] ?? '');
  }
  return out;
}

/** Port of an m-line port token (`9`, `9/2`); -1 when unreadable. */
function parsePort(token: string | undefined): number {
  if (token === undefined) {
    return -1;
  }
  const slash = token.indexOf('/');
  return parseDigits(slash < 0 ? token : token.slice(0, slash)) ?? -1;
}

const docs = new WeakMap<SdpView, SdpDoc>();

/** The public view of a document; remembered so applyDcEdits/alignAnswer need not read the text again. */
export function viewOf(doc: SdpDoc): SdpView {
  const dcMedia: DcMedia[] = [];
  const mediaTypes: string[] = [];
  for (const m of doc.media) {
    mediaTypes.push(m.type);
    if (m.isDc) {
      const channels: DcChannel[] = [];
      for (const c of m.channels.values()) {
        channels.push(c.channel);
      }
      dcMedia.push({ index: m.index, port: m.port, proto: m.proto, bandwidthKbps: m.bandwidthKbps, channels });
    }
  }
  const view: SdpView = { raw: doc.raw, mediaCount: doc.media.length, mediaTypes, origin: doc.origin, dcMedia };
  docs.set(view, doc);
  return view;
}

/** The document of a view: the one readSdp built it from, or a fresh reading of its raw text. */
export function docOf(view: SdpView): SdpDoc {
  const doc = docs.get(view);
  return doc !== undefined && doc.raw === view.raw ? doc : parseDoc(view.raw);
}
