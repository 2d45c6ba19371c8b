/**
 * What an answer may change of the channels it accepts (TS 26.114 6.2.10.3, RFC 8864 section 6):
 * the answer to an offered data channel echoes it, stream id, dcmap and each `a=3gpp-req-app`,
 * but for the DC status; the answerer's own transport (port, a=setup, a=fingerprint, a=tls-id,
 * a=sctp-port, a=max-message-size) and the subprotocol's own dcsa negotiation (an MSRP path,
 * accept-types) are its to write. An answer that names the offered stream otherwise has moved the
 * user's channel to another application, another label or subprotocol, another far end (a P2P
 * channel answered as one toward an AS), or other delivery: the guard refuses that channel.
 *
 * Two depths. Every answerer is held to the application and channel kind (a bootstrap answered
 * as an application channel or back). An untrusted answerer (`strict`) is held to everything
 * an answer may not change:
 * - dcmap: label, subprotocol and every other parameter (ordered, max-retr, max-time, priority,
 *   and any the guard does not know), compared as name/value pairs in any order;
 * - each `a=3gpp-req-app` associated with the channel (media level or `a=dcsa:<id> 3gpp-req-app:`):
 *   its value as offered, token by token, but for a `status=` token (the DC status). The guard
 *   does not rely on the name of any other parameter: whatever says P2P or toward an AS (an
 *   endpoint type) is a token of this value and may not change. Leaving the line out answers
 *   the channel as offered;
 * - any other `a=dcsa:<id> 3gpp-*` attribute: as offered, or left out, never new;
 * and, per m-line, a DC m-line answering a non-DC one, or a DC m-line left open with none of the
 * offered channels (an SCTP association on which channels would be opened in band, unseen), is
 * refused, and a dcsa or 3gpp-req-app line that belongs to no channel is dropped (a reader that
 * associates it otherwise would see the channel named another application).
 */
import type { DocChannel } from './dc-channels.ts';
import { parseDcmapParams } from './dcmap-params.ts';
import { attributeName, nameAt, splitTokens } from './sdp-fields.ts';
import type { DocMedia } from './sdp-media-section.ts';

/** Tokens of an `a=3gpp-req-app` value an answer may change: the DC status only. */
const MAY_CHANGE_IN_REQ_APP = new Set(['status']);

/** Why the answered channel is not the offered one, or null when the answer echoes it as it may. */
export function channelChange(
  offerTexts: readonly string[],
  offered: DocChannel,
  answerTexts: readonly string[],
  answered: DocChannel,
  strict: boolean,
): string | null {
  const was = offered.channel;
  const now = answered.channel;
  if (now.kind !== was.kind) {
    return now.kind === 'bootstrap' ? 'an application channel answered as a bootstrap channel' : 'a bootstrap channel answered as an application channel';
  }
  if (now.appId !== null && now.appId !== was.appId) {
    return `answered as application ${now.appId}, offered as ${was.appId ?? 'no application'}`;
  }
  if (!strict) {
    return null;
  }
  if (now.label !== was.label) {
    return 'dcmap label changed';
  }
  if (now.subprotocol !== was.subprotocol) {
    return 'dcmap subprotocol changed';
  }
  const param = changedParam(was.dcmapParams, now.dcmapParams);
  if (param !== null) {
    return `dcmap parameter ${param} changed`;
  }
  const offeredApps = new Set(reqAppValues(offerTexts, offered).map(echoedPart));
  if (reqAppValues(answerTexts, answered).some((value) => !offeredApps.has(echoedPart(value)))) {
    return 'a=3gpp-req-app changed in more than its DC status';
  }
  const offeredTags = new Set(otherTags(offerTexts, offered));
  const added = otherTags(answerTexts, answered).find((tag) => !offeredTags.has(tag));
  if (added !== undefined) {
    return `a=dcsa ${nameAt(added, 0)} not as offered`;
  }
  return null;
}

/** Why an untrusted answer's m-line is refused as a whole, or null. */
export function mediaChange(offered: DocMedia | undefined, answered: DocMedia): string | null {
  if (!answered.isDc || answered.port === 0) {
    return null;
  }
  if (offered === undefined || !offered.isDc) {
    return 'a DC m-line answers an m-line that is not one';
  }
  if (offered.channels.size > 0 && answered.channels.size === 0) {
    return 'the DC m-line is kept open with none of the offered channels (channels would be opened in band, unseen)';
  }
  return null;
}

/** Doc line indexes of a DC m-line's dcsa and 3gpp-req-app lines that belong to no channel. */
export function unattachedLines(texts: readonly string[], media: DocMedia): number[] {
  if (!media.isDc) {
    return [];
  }
  const attached = new Set<number>();
  for (const channel of media.channels.values()) {
    for (const line of channel.lines) {
      attached.add(line);
    }
  }
  const lines: number[] = [];
  for (let i = media.line + 1; i < media.end; i += 1) {
    const text = texts[i] ?? '';
    if (text.startsWith('a=') && !attached.has(i)) {
      const name = attributeName(text);
      if (name === 'dcsa' || name === '3gpp-req-app') {
        lines.push(i);
      }
    }
  }
  return lines;
}

/** The first dcmap parameter (other than label and subprotocol) that differs, or null. */
function changedParam(offered: string, answered: string): string | null {
  const was = normalisedParams(offered);
  const now = normalisedParams(answered);
  for (const name of new Set([...was.keys(), ...now.keys()])) {
    if ((was.get(name) ?? []).sort().join('\n') !== (now.get(name) ?? []).sort().join('\n')) {
      return name;
    }
  }
  return null;
}

/** dcmap parameters by lower-case name, values unquoted (`=` kept apart from no value). */
function normalisedParams(text: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [name, value] of parseDcmapParams(text).params) {
    const lower = name.toLowerCase();
    if (lower === 'label' || lower === 'subprotocol') {
      continue;
    }
    const normal = value === null ? '' : `=${value.startsWith('"') && value.endsWith('"') && value.length > 1 ? value.slice(1, -1) : value}`;
    params.set(lower, [...(params.get(lower) ?? []), normal]);
  }
  return params;
}

/** Values of the channel's `a=3gpp-req-app` lines, media level and dcsa, as written. */
function reqAppValues(texts: readonly string[], channel: DocChannel): string[] {
  const values: string[] = [];
  for (const line of channel.lines) {
    const text = texts[line] ?? '';
    const name = attributeName(text);
    if (name === '3gpp-req-app') {
      values.push(afterColon(text, 0));
    } else if (name === 'dcsa') {
      const rest = dcsaRest(text);
      if (nameAt(rest, 0) === '3gpp-req-app') {
        values.push(afterColon(rest, 0));
      }
    }
  }
  return values;
}

/** A 3gpp-req-app value without what an answer may change: tokens in order, the status token left out. */
function echoedPart(value: string): string {
  return splitTokens(value, 0)
    .filter((token, i) => i === 0 || !MAY_CHANGE_IN_REQ_APP.has(tokenName(token)))
    .join(' ');
}

/** `name=value` → lower-case `name`; a token without `=` is its own name. */
function tokenName(token: string): string {
  const eq = token.indexOf('=');
  return (eq < 0 ? token : token.slice(0, eq)).toLowerCase();
}

/** The channel's dcsa attributes of the 3gpp-* family other than 3gpp-req-app, normalised (`name:value`, single spaces). */
function otherTags(texts: readonly string[], channel: DocChannel): string[] {
  const tags: string[] = [];
  for (const line of channel.lines) {
    const text = texts[line] ?? '';
    if (attributeName(text) !== 'dcsa') {
      continue;
    }
    const rest = dcsaRest(text);
    const name = nameAt(rest, 0);
    if (name.startsWith('3gpp-') && name !== '3gpp-req-app') {
      tags.push(`${name}:${splitTokens(afterColon(rest, 0), 0).join(' ')}`);
    }
  }
  return tags;
}

/** `a=dcsa:<id> <rest>` → `<rest>`. */
function dcsaRest(text: string): string {
  const tokens = splitTokens(afterColon(text, 0), 0);
  return tokens.slice(1).join(' ');
}

/** The text after the first `:` from `from`, trimmed; empty when there is none. */
function afterColon(text: string, from: number): string {
  const colon = text.indexOf(':', from);
  return colon < 0 ? '' : text.slice(colon + 1).trim();
}
