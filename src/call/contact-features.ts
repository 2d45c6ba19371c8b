/**
 * The capability signalling of a message the guard relays: the feature tags of the peer's
 * Contact, which the guard copies onto the Contact it writes itself (a B2BUA that dropped them
 * would hide from the callee that the caller can do DC, MMTel or any other IMS service:
 * TS 24.229 5.1, TS 26.114 6.2.10.1), and the Accept-Contact (RFC 3841) and Feature-Caps
 * (RFC 6809) values it forwards. Each is read with the project's parsers, filtered by
 * src/privacy/capability-tags.ts and written again by the guard: nothing the peer wrote passes
 * raw. From the peer's Contact only feature tags are taken: never its URI, `expires`, `q`,
 * `reg-id`, `gr`, `pub-gruu`/`temp-gruu` (RFC 5627: they name the device's registration) or
 * any other parameter.
 */
import { tagsFor, type DcOutcome, type TagAudience } from '../privacy/capability-tags.ts';
import { headerKey } from '../privacy/header-allow-list.ts';
import type { Peer } from '../profile/profile-types.ts';
import { featureParamsOf, formatFeatureParams, type FeatureParam } from '../sip/feature-params.ts';
import { parseGenericParams, splitHeaderValues } from '../sip/header-values.ts';
import { parseNameAddr } from '../sip/name-addr.ts';
import { classifyMedia } from '../sdp/sdp-media-section.ts';
import { splitLines } from '../sdp/sdp-raw-lines.ts';
import { classifyMessageBody } from '../sip/sdp-body.ts';
import type { SipHeader, SipMessage } from '../sip/sip-message.ts';

export interface CapabilityParties {
  readonly senderTrusted: boolean;
  readonly receiverTrusted: boolean;
  /** The receiving peer's `grants.capabilities`. */
  readonly capabilitiesGranted: boolean;
}

export interface CapabilitySignals {
  /** The feature parameters for the guard's Contact (`;+sip.app-subtype="webrtc-datachannel"`), or ''. */
  readonly contactParams: string;
  /** The forwarded headers with Accept-Contact and Feature-Caps as the guard writes them (the peer's removed). */
  withFeatureHeaders(headers: readonly SipHeader[]): SipHeader[];
}

/** The `grants.capabilities` of the peer a leg faces (false for a leg of no known peer). */
export function grantsCapabilities(ctx: { readonly peers: { byId(id: string): Peer | undefined } }, leg: { readonly peerId: string | null; readonly trusted: boolean }): boolean {
  return leg.trusted || (leg.peerId !== null && ctx.peers.byId(leg.peerId)?.grants.capabilities === true);
}

/** Header keys (headerKey) of the headers whose values are `*` with feature parameters. */
const ACCEPT_CONTACT = 'accept-contact';
const FEATURE_CAPS = 'feature-caps';
/** RFC 3841 10: the ac-params that are not feature tags but mean something with them. */
const AC_FLAGS: ReadonlySet<string> = new Set(['require', 'explicit']);

/**
 * `received`: the message as the peer sent it (its Contact and SDP); `forwarded`: the message
 * the guard is about to send, after admission and policing but before the identity shield
 * (Accept-Contact and Feature-Caps as admission left them, the SDP as policed).
 */
export function capabilitySignals(received: SipMessage, forwarded: SipMessage, parties: CapabilityParties): CapabilitySignals {
  // The SDP is read only when there is a tag to decide on: most messages carry none.
  let dc: DcOutcome | null = null;
  const audience = (carrier: TagAudience['carrier']): TagAudience => {
    dc ??= dcOutcome(received, forwarded);
    return { ...parties, dc, carrier };
  };
  const offered = contactFeatures(received);
  const contact = offered.length === 0 ? [] : tagsFor(offered, audience('contact'));
  const featureHeaders: SipHeader[] = [];
  for (const header of forwarded.headers) {
    const key = headerKey(header.name);
    if (key === ACCEPT_CONTACT || key === FEATURE_CAPS) {
      for (const value of splitHeaderValues(header.value)) {
        const carrier = key === FEATURE_CAPS ? 'feature-caps' : 'accept-contact';
        const written = starValue(value, carrier === 'feature-caps', (params) => (params.length === 0 ? [] : tagsFor(params, audience(carrier))));
        if (written !== null) {
          featureHeaders.push({ name: key === FEATURE_CAPS ? 'Feature-Caps' : 'Accept-Contact', value: written });
        }
      }
    }
  }
  return {
    contactParams: formatFeatureParams(contact),
    withFeatureHeaders: (headers) => [
      ...headers.filter((h) => {
        const key = headerKey(h.name);
        return key !== ACCEPT_CONTACT && key !== FEATURE_CAPS;
      }),
      ...featureHeaders,
    ],
  };
}

/** The feature tags of the message's one Contact; none when it has several, `*`, or one that does not parse. */
export function contactFeatures(msg: SipMessage): FeatureParam[] {
  let only: string | undefined;
  let count = 0;
  for (const h of msg.headers) {
    if (headerKey(h.name) === 'contact') {
      for (const value of splitHeaderValues(h.value)) {
        only = value;
        count += 1;
      }
    }
  }
  if (count !== 1 || only === undefined || only === '*') {
    return [];
  }
  try {
    return featureParamsOf(parseNameAddr(only).params);
  } catch {
    return [];
  }
}

/**
 * One `*;...` value (RFC 3841 ac-value, RFC 6809 fc-value) written again with the tags `keep`
 * returns, and for Accept-Contact its `require`/`explicit`; null when it does not parse or no
 * tag is left (a bare `*;require` would ask for nothing, and an unreadable one is not guessed at).
 */
export function starValue(value: string, featureCaps: boolean, keep: (params: FeatureParam[]) => FeatureParam[]): string | null {
  if (!value.startsWith('*')) {
    return null;
  }
  let params: Array<[string, string | null]>;
  try {
    params = parseGenericParams(value.slice(1));
  } catch {
    return null;
  }
  const kept = keep(featureParamsOf(params, featureCaps));
  if (kept.length === 0) {
    return null;
  }
  const flags = featureCaps ? [] : params.filter(([name, v]) => v === null && AC_FLAGS.has(name.toLowerCase())).map(([name]) => `;${name.toLowerCase()}`);
  return `*${formatFeatureParams(kept)}${[...new Set(flags)].join('')}`;
}

/** What the guard did to the message's DCs: kept one, refused every one it was sent, or there was none. */
export function dcOutcome(received: SipMessage, forwarded: SipMessage): DcOutcome {
  if (sdpParts(forwarded).some((sdp) => hasOpenDc(sdp, true))) {
    return 'kept';
  }
  // The same body as it came: nothing was refused.
  if (forwarded.body === received.body) {
    return 'none';
  }
  return sdpParts(received).some((sdp) => hasOpenDc(sdp, false)) ? 'refused' : 'none';
}

function sdpParts(msg: SipMessage): string[] {
  if (msg.body.length === 0) {
    return [];
  }
  const body = classifyMessageBody(msg);
  return body.kind === 'parts' ? body.parts.filter((p) => p.isSdp).map((p) => p.content) : [];
}

/**
 * A DC m-line not at port 0, by the SDP reader's own rule (src/sdp/sdp-media-section.ts) but
 * section by section without the strict reader: it must also judge an SDP passed on unread
 * between trusted peers. `proven`: the port must read as a port (the SDP the guard sends: a DC
 * it cannot show open is not kept); else anything but 0 (the SDP it got: what might have been a
 * DC and is not open now was refused).
 */
function hasOpenDc(sdp: string, proven: boolean): boolean {
  const texts: string[] = [];
  splitLines(sdp, texts, []);
  const mLines: number[] = [];
  texts.forEach((text, i) => {
    if (text.startsWith('m=')) {
      mLines.push(i);
    }
  });
  return mLines.some((line, k) => {
    const media = classifyMedia(texts, line, mLines[k + 1] ?? texts.length);
    return media.isDc && (proven ? media.port > 0 : media.port !== 0);
  });
}
