import { originVersion, sdpWithoutOrigin, setOriginVersion } from '../sdp/dc-rewrite.ts';
import type { LegDraft } from './call-draft.ts';

/**
 * Keeps each leg's own `o=` version sequence (RFC 3264 8): an SDP that differs from the last
 * one sent on this leg carries that version + 1; an unchanged one carries the same version
 * (or + 1, which RFC 3264 also allows). The SDP is rewritten only when its version breaks
 * the leg's sequence, so an SDP the guard passes untouched stays byte-identical.
 */
export function stampOrigin(leg: LegDraft, sdp: string): string {
  const version = originVersion(sdp);
  if (version === null || !/^\d+$/.test(version)) {
    return sdp;
  }
  const body = sdpWithoutOrigin(sdp);
  let out = sdp;
  const previous = leg.sdpSent;
  if (previous !== null) {
    const next = (BigInt(previous.version) + 1n).toString();
    if (body === previous.body) {
      if (version !== previous.version && version !== next) {
        out = setOriginVersion(sdp, previous.version);
      }
    } else if (version !== next) {
      out = setOriginVersion(sdp, next);
    }
  }
  leg.sdpSent = { version: originVersion(out) ?? version, body };
  return out;
}
