/**
 * Which feature tags (RFC 3840, 3841, 6809) the guard passes on, to whom. A feature tag says
 * what a user's terminal can do (`video`, `+g.3gpp.icsi-ref`, `+sip.app-subtype`): toward an
 * untrusted AS that is information about the user the AS has no need of by default, so only
 * the data channel tags pass, and only on a message whose SDP keeps a DC toward it (the SDP
 * says as much already); `grants.capabilities: true` lets every capability tag pass.
 *
 * The rules, default-deny:
 * - a tag that does not read as the grammar says was left out before (src/sip/feature-params.ts);
 * - `+sip.instance` (RFC 5626: the device's instance id, in IMS the IMEI, TS 24.229 7.9.2) never
 *   goes into a Contact the guard writes: that Contact is the guard's, not the device's;
 * - a string value (`"<...>"`: URNs, URIs, free text, `+g.3gpp.thig-path`, registration tokens)
 *   passes only between trusted peers: it is where identifiers and topology live;
 * - when the guard refused every DC of the message's SDP, no tag claims DC any more
 *   (TS 26.114 6.2.10.1: `+sip.app-subtype="webrtc-datachannel"`; `+g.3gpp.dc-mux`);
 * - toward an untrusted peer without `grants.capabilities`: the DC tags alone, when a DC is kept.
 */
import type { FeatureParam } from '../sip/feature-params.ts';

/** RFC 8864 / TS 26.114 6.2.10.1: the application subtype a DC-capable terminal announces. */
export const DC_APP_SUBTYPE = 'webrtc-datachannel';
/** The feature tags whose values can claim DC, lower-cased. */
const APP_SUBTYPE_TAG = '+sip.app-subtype';
const DC_MUX_TAG = '+g.3gpp.dc-mux';
/** Tags that name one device, never written into the guard's own Contact. */
const DEVICE_TAGS: ReadonlySet<string> = new Set(['+sip.instance']);

/**
 * What became of the data channels of the message the tags travel with.
 * kept: the SDP the guard forwards has a DC m-line that is not refused.
 * refused: the SDP that came in had one, and the guard refused every one.
 * none: no DC either way (or no SDP): the tags say what the terminal can do, TS 26.114 allows
 * the DC tag without DC media.
 */
export type DcOutcome = 'kept' | 'refused' | 'none';

export interface TagAudience {
  readonly senderTrusted: boolean;
  readonly receiverTrusted: boolean;
  /** The receiving peer's `grants.capabilities` (true for a trusted receiver). */
  readonly capabilitiesGranted: boolean;
  readonly dc: DcOutcome;
  /** `contact`: the tags go into a Contact the guard writes (device tags never do). */
  readonly carrier: 'contact' | 'accept-contact' | 'feature-caps';
}

/** The tags of `params` that may go to `audience`, DC claims taken out where the DC was refused. */
export function tagsFor(params: readonly FeatureParam[], audience: TagAudience): FeatureParam[] {
  const out: FeatureParam[] = [];
  for (const param of params) {
    const kept = tagFor(param, audience);
    if (kept !== null) {
      out.push(kept);
    }
  }
  return out;
}

function tagFor(param: FeatureParam, audience: TagAudience): FeatureParam | null {
  if (audience.carrier === 'contact' && DEVICE_TAGS.has(param.name)) {
    return null;
  }
  if (param.value.kind === 'string' && !(audience.senderTrusted && audience.receiverTrusted)) {
    return null;
  }
  const withoutClaims = audience.dc === 'refused' ? withoutDcClaim(param) : param;
  if (withoutClaims === null) {
    return null;
  }
  if (audience.receiverTrusted || audience.capabilitiesGranted) {
    return withoutClaims;
  }
  return audience.dc === 'kept' ? dcClaimOnly(withoutClaims) : null;
}

/** True for a tag-value that claims DC: `webrtc-datachannel` in any letter case, not negated. */
function claimsDc(value: string): boolean {
  return value.toLowerCase() === DC_APP_SUBTYPE;
}

/** The tag without what claims DC; null when nothing is left. */
function withoutDcClaim(param: FeatureParam): FeatureParam | null {
  if (param.name === DC_MUX_TAG) {
    return null;
  }
  if (param.name !== APP_SUBTYPE_TAG || param.value.kind !== 'tokens') {
    return param;
  }
  const values = param.value.values.filter((v) => !claimsDc(v));
  return values.length === 0 ? null : { name: param.name, value: { kind: 'tokens', values } };
}

/** Only what claims DC of the tag; null when it claims none. */
function dcClaimOnly(param: FeatureParam): FeatureParam | null {
  if (param.name === DC_MUX_TAG) {
    return param.value.kind === 'string' ? null : param;
  }
  if (param.name !== APP_SUBTYPE_TAG || param.value.kind !== 'tokens') {
    return null;
  }
  const values = param.value.values.filter(claimsDc);
  return values.length === 0 ? null : { name: param.name, value: { kind: 'tokens', values: [DC_APP_SUBTYPE] } };
}
