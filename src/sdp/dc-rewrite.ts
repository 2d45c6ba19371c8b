/**
 * Rewrites of an SDP's data channels, done on the lines of the original text (see sdp-doc.ts):
 * lines are dropped or replaced, never re-serialised, so everything the guard does not touch
 * leaves byte for byte as it came, line endings included.
 */
import { renderDoc } from './sdp-doc.ts';
import { docOf } from './sdp-doc-view.ts';
import { attributeName, isDecimal, replaceToken, splitTokens } from './sdp-fields.ts';
import { findOriginLine } from './sdp-raw-lines.ts';
import { channelChange, mediaChange, unattachedLines } from './answer-integrity.ts';
import type { SdpDoc } from './sdp-doc.ts';
import type { DcChannelRef, DcEdits, SdpView } from './sdp-types.ts';

/**
 * Attributes dropped from a refused m-line: the channels and their SCTP association
 * (TS 24.186: when the last DC of an m-line goes, sctp-port, max-message-size, tls-id and
 * setup go too).
 */
const REFUSED_MEDIA_ATTRIBUTES = new Set([
  'dcmap',
  'dcsa',
  '3gpp-req-app',
  '3gpp-bdc-used-by',
  'sctp-port',
  'max-message-size',
  'tls-id',
  'setup',
  'fingerprint',
]);

/**
 * Applies the guard's edits. `refuseMedia`: port 0, DC attributes dropped, m-line kept
 * (RFC 3264 6, 8.2). `removeChannels`: the channel's dcmap, dcsa and associated
 * 3gpp-req-app lines go; removing the last channel of an m-line refuses the m-line. When
 * anything changed the `o=` session version goes up by one. Returns `sdp.raw` itself when
 * nothing changes; applying the same edits to the result changes nothing more.
 */
export function applyDcEdits(sdp: SdpView, edits: DcEdits): string {
  if (edits.refuseMedia.length === 0 && edits.removeChannels.length === 0) {
    return sdp.raw;
  }
  return rewrite(docOf(sdp), edits.refuseMedia, edits.removeChannels).raw;
}

/**
 * What an offer and its answer agreed on (RFC 3264 6): the offer less the DC m-lines the answer
 * refused (port 0) and the channels it left out. The baseline of the next offer on that leg, so
 * that what was offered but not accepted is not "already there" next time.
 */
export function agreedSession(offer: SdpView, answer: SdpView): string {
  const refuseMedia: number[] = [];
  const removeChannels: DcChannelRef[] = [];
  for (const media of offer.dcMedia) {
    if (media.port === 0) {
      continue;
    }
    const answered = answer.dcMedia.find((m) => m.index === media.index);
    if (answered === undefined || answered.port === 0) {
      refuseMedia.push(media.index);
      continue;
    }
    for (const channel of media.channels) {
      if (!answered.channels.some((c) => c.streamId === channel.streamId)) {
        removeChannels.push({ mediaIndex: media.index, streamId: channel.streamId });
      }
    }
  }
  return applyDcEdits(offer, { refuseMedia, removeChannels });
}

/** A channel of an answer that is not the offered one, and what changed. */
export type ChangedChannel = DcChannelRef & { readonly detail: string };

/** What alignAnswer did beyond the offer's port 0 and the channels the offer lacked (untrusted answerers). */
export interface AnswerIntegrityEdit {
  readonly mediaIndex: number;
  /** `not-offered`: the answer's m-line accepts what the offer did not have; `changed`: it would redirect a channel. */
  readonly kind: 'not-offered' | 'changed';
  readonly detail: string;
}

export interface AlignedAnswer {
  readonly raw: string;
  readonly refusedMedia: number[];
  readonly removedChannels: DcChannelRef[];
  readonly changedChannels: ChangedChannel[];
  /** m-lines refused, or lines dropped, by the strict checks of answer-integrity.ts. */
  readonly integrity: AnswerIntegrityEdit[];
  readonly problem: string | null;
}

/**
 * Brings an answer back in line with the offer the guard actually forwarded (RFC 3264 6):
 * port 0 (and no DC attributes) wherever the forwarded offer had port 0, and no channel the
 * forwarded offer's same m-line did not have. A channel the answer changed in what it may not
 * (answer-integrity.ts; `strict` for an untrusted answerer) is removed too, as are the m-lines
 * and lines the strict checks refuse. `refusedMedia` lists the m-lines whose port this set to 0;
 * `removedChannels` the answer's channels that were not in the offer. When the answer's m-line
 * count differs from the offer's, `problem` says so and nothing is changed.
 */
export function alignAnswer(forwardedOffer: SdpView, answer: SdpView, options: { readonly strict?: boolean } = {}): AlignedAnswer {
  if (answer.mediaCount !== forwardedOffer.mediaCount) {
    return {
      raw: answer.raw,
      refusedMedia: [],
      removedChannels: [],
      changedChannels: [],
      integrity: [],
      problem: `answer has ${answer.mediaCount} m-line(s) but the forwarded offer has ${forwardedOffer.mediaCount} (RFC 3264 section 6: same number, same order)`,
    };
  }
  const strict = options.strict === true;
  const offerDoc = docOf(forwardedOffer);
  const answerDoc = docOf(answer);

  const refuse: number[] = [];
  for (const media of offerDoc.media) {
    if (media.port === 0) {
      refuse.push(media.index);
    }
  }
  const removedChannels: DcChannelRef[] = [];
  const changedChannels: ChangedChannel[] = [];
  const integrity: AnswerIntegrityEdit[] = [];
  const dropLines: number[] = [];
  for (const media of answerDoc.media) {
    const offered = offerDoc.media[media.index];
    const refusal = strict && offered?.port !== 0 ? mediaChange(offered, media) : null;
    if (refusal !== null) {
      refuse.push(media.index);
      integrity.push({ mediaIndex: media.index, kind: 'not-offered', detail: refusal });
      continue;
    }
    for (const [streamId, answered] of media.channels) {
      const was = offered?.channels.get(streamId);
      const detail = was === undefined ? null : channelChange(offerDoc.texts, was, answerDoc.texts, answered, strict);
      if (was === undefined) {
        removedChannels.push({ mediaIndex: media.index, streamId });
      } else if (detail !== null) {
        changedChannels.push({ mediaIndex: media.index, streamId, detail });
      }
    }
    const unattached = strict ? unattachedLines(answerDoc.texts, media) : [];
    if (unattached.length > 0) {
      dropLines.push(...unattached);
      integrity.push({ mediaIndex: media.index, kind: 'changed', detail: `${unattached.length} dcsa/3gpp-req-app line(s) of no channel dropped` });
    }
  }
  if (refuse.length === 0 && removedChannels.length === 0 && changedChannels.length === 0 && dropLines.length === 0) {
    return { raw: answer.raw, refusedMedia: [], removedChannels, changedChannels, integrity, problem: null };
  }
  const result = rewrite(answerDoc, refuse, [...removedChannels, ...changedChannels], dropLines);
  return { raw: result.raw, refusedMedia: result.refused, removedChannels, changedChannels, integrity, problem: null };
}

/** `raw` with the `o=` session version set to `version` (a decimal string). */
export function setOriginVersion(raw: string, version: string): string {
  if (!isDecimal(version)) {
    throw new RangeError(`o= session version must be a decimal number, got ${JSON.stringify(version)}`);
  }
  return setOriginToken(raw, 2, version);
}

/** `raw` with the `o=` username set to `username` (one token: no whitespace). */
export function setOriginUsername(raw: string, username: string): string {
  if (username.length === 0 || /[\s]/.test(username)) {
    throw new RangeError(`o= username must be one non-empty token, got ${JSON.stringify(username)}`);
  }
  return setOriginToken(raw, 0, username);
}

/** The `o=` session version as written, or null when there is no readable `o=` line. */
export function originVersion(raw: string): string | null {
  const at = findOriginLine(raw);
  if (at === null) {
    return null;
  }
  return splitTokens(raw.slice(at.start, at.textEnd), 2)[2] ?? null;
}

/** `raw` without its session-level `o=` line (line ending included): to tell whether two SDPs differ other than in `o=`. */
export function sdpWithoutOrigin(raw: string): string {
  const at = findOriginLine(raw);
  return at === null ? raw : raw.slice(0, at.start) + raw.slice(at.lineEnd);
}

function setOriginToken(raw: string, index: number, value: string): string {
  const at = findOriginLine(raw);
  if (at === null) {
    return raw;
  }
  const line = raw.slice(at.start, at.textEnd);
  const replaced = replaceToken(line, 2, index, value);
  if (replaced === null || replaced === line) {
    return raw;
  }
  return raw.slice(0, at.start) + replaced + raw.slice(at.textEnd);
}

/**
 * The one rewriting routine. Works on line indexes of `doc`; `refused` lists the m-lines whose
 * port this changed to 0.
 */
function rewrite(
  doc: SdpDoc,
  refuseMedia: readonly number[],
  removeChannels: readonly DcChannelRef[],
  dropLines: readonly number[] = [],
): { raw: string; refused: number[] } {
  // Line index → replacement text, or null to drop the line.
  const edits = new Map<number, string | null>();
  let changed = false;
  for (const line of dropLines) {
    edits.set(line, null);
    changed = true;
  }

  const refuse = new Set<number>();
  for (const index of refuseMedia) {
    if (doc.media[index] !== undefined) {
      refuse.add(index);
    }
  }

  // Channels first: removing the last channel of an m-line refuses it.
  const removals = new Map<number, Set<number>>();
  for (const ref of removeChannels) {
    const media = doc.media[ref.mediaIndex];
    if (media === undefined || refuse.has(ref.mediaIndex) || !media.channels.has(ref.streamId)) {
      continue;
    }
    let streams = removals.get(ref.mediaIndex);
    if (streams === undefined) {
      streams = new Set();
      removals.set(ref.mediaIndex, streams);
    }
    streams.add(ref.streamId);
  }
  for (const [mediaIndex, streams] of removals) {
    const media = doc.media[mediaIndex];
    if (media === undefined) {
      continue;
    }
    if (streams.size === media.channels.size) {
      refuse.add(mediaIndex);
      continue;
    }
    for (const streamId of streams) {
      for (const line of media.channels.get(streamId)?.lines ?? []) {
        edits.set(line, null);
        changed = true;
      }
    }
  }

  const refused: number[] = [];
  for (const index of [...refuse].sort((a, b) => a - b)) {
    const media = doc.media[index];
    if (media === undefined) {
      continue;
    }
    for (let line = media.line + 1; line < media.end; line += 1) {
      const text = doc.texts[line] ?? '';
      if (text.startsWith('a=') && REFUSED_MEDIA_ATTRIBUTES.has(attributeName(text))) {
        edits.set(line, null);
        changed = true;
      }
    }
    if (media.port !== 0) {
      const mLine = replaceToken(doc.texts[media.line] ?? '', 2, 1, '0');
      if (mLine !== null) {
        edits.set(media.line, mLine);
        refused.push(index);
        changed = true;
      }
    }
  }

  if (!changed) {
    return { raw: doc.raw, refused };
  }

  const version = doc.origin?.sessionVersion;
  if (doc.originLine >= 0 && version !== undefined && isDecimal(version)) {
    const bumped = replaceToken(doc.texts[doc.originLine] ?? '', 2, 2, (BigInt(version) + 1n).toString());
    if (bumped !== null) {
      edits.set(doc.originLine, bumped);
    }
  }

  return { raw: renderDoc(doc, edits), refused };
}
