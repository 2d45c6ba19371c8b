import type { SdpView } from '../sdp/sdp-types.ts';
import type { SentOffer } from '../state/call-state.ts';
import type { CallDraft } from './call-draft.ts';

/** Ownership of the DCs an offer created is recorded once they survive the answer (RFC 3264 6). */
export function commitOwnership(call: CallDraft, offer: Pick<SentOffer, 'created' | 'openedMedia'>, answer: SdpView): void {
  for (const created of offer.created) {
    const media = answer.dcMedia.find((m) => m.index === created.mediaIndex);
    const open = media !== undefined && media.port !== 0 && media.channels.some((c) => c.streamId === created.streamId);
    const known = call.owners.some((o) => o.mediaIndex === created.mediaIndex && o.streamId === created.streamId);
    if (open && !known) {
      call.owners.push(created);
    }
  }
  for (const opened of offer.openedMedia) {
    if (!call.mediaOwners.some((m) => m.mediaIndex === opened.mediaIndex)) {
      call.mediaOwners.push(opened);
    }
  }
}
