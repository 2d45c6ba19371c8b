/**
 * The data channels of one DC m-line (TS 24.186 9.3, RFC 8864): which dcmap, dcsa and
 * 3gpp-req-app lines make up which channel, and the channel readSdp reports for them. Its own
 * module because this association is the guard's most security-relevant reading: the policy
 * decides by the channels it yields and dc-rewrite.ts deletes lines by the very same `lines`
 * lists, so a channel the policy refused cannot keep a line the rewrite missed. Lines whose stream
 * id or dcmap parameters cannot be read unambiguously throw SdpParseError (skipping them would
 * hide a channel from the guard that a lenient peer still opens).
 */
import { dcmapParamsProblem, parseDcmapParams } from './dcmap-params.ts';
import { attributeName, isDigit, isSpace, nameAt, splitTokens } from './sdp-fields.ts';
import { lineError } from './sdp-line-check.ts';
import type { DcChannel } from './sdp-types.ts';

/** The lines of one channel and what readSdp reports about it. */
export interface DocChannel {
  readonly channel: DcChannel;
  /** Doc line indexes of its dcmap lines (duplicates included), dcsa lines and associated 3gpp-req-app lines. */
  readonly lines: readonly number[];
}

const BOOTSTRAP_STREAMS = new Set([0, 10, 100, 110]);

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
export function readChannels(texts: readonly string[], line: number, end: number): ReadonlyMap<number, DocChannel> {
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
