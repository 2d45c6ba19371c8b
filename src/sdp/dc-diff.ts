import type { DcChange, DcChannel, DcChannelRef, DcDiff, DcMedia, SdpView } from './sdp-types.ts';

type ChannelAt = DcChannelRef & { readonly channel: DcChannel };

/**
 * Channel-by-channel difference between two offers of one dialog. m-lines are matched by
 * index (RFC 3264 8: a later offer keeps the m-lines in order and appends new ones). Only
 * channels of DC m-lines with a port other than 0 are open.
 */
export function diffDcOffers(before: SdpView | null, after: SdpView): DcDiff {
  const beforeOpen = new Map<number, DcMedia>();
  if (before !== null) {
    for (const media of before.dcMedia) {
      if (media.port !== 0) {
        beforeOpen.set(media.index, media);
      }
    }
  }

  const added: ChannelAt[] = [];
  const removed: ChannelAt[] = [];
  const changed: DcChange[] = [];
  const openedMedia: number[] = [];
  const bandwidthRaised: { mediaIndex: number; before: number | null; after: number | null }[] = [];
  const stillOpen = new Set<number>();

  for (const media of after.dcMedia) {
    if (media.port === 0) {
      continue;
    }
    const mediaIndex = media.index;
    const old = beforeOpen.get(mediaIndex);
    if (old === undefined) {
      openedMedia.push(mediaIndex);
      for (const channel of media.channels) {
        added.push({ mediaIndex, streamId: channel.streamId, channel });
      }
      continue;
    }
    stillOpen.add(mediaIndex);
    if (raised(old.bandwidthKbps, media.bandwidthKbps)) {
      bandwidthRaised.push({ mediaIndex, before: old.bandwidthKbps, after: media.bandwidthKbps });
    }
    const oldChannels = new Map<number, DcChannel>();
    for (const channel of old.channels) {
      oldChannels.set(channel.streamId, channel);
    }
    const newIds = new Set<number>();
    for (const channel of media.channels) {
      newIds.add(channel.streamId);
      const previous = oldChannels.get(channel.streamId);
      if (previous === undefined) {
        added.push({ mediaIndex, streamId: channel.streamId, channel });
      } else if (!sameChannel(previous, channel)) {
        changed.push({ mediaIndex, streamId: channel.streamId, before: previous, after: channel });
      }
    }
    for (const channel of old.channels) {
      if (!newIds.has(channel.streamId)) {
        removed.push({ mediaIndex, streamId: channel.streamId, channel });
      }
    }
  }

  // Open DC m-lines of `before` that are closed or gone in `after`: all their channels are removed.
  for (const [mediaIndex, media] of beforeOpen) {
    if (!stillOpen.has(mediaIndex)) {
      for (const channel of media.channels) {
        removed.push({ mediaIndex, streamId: channel.streamId, channel });
      }
    }
  }
  removed.sort((a, b) => a.mediaIndex - b.mediaIndex);

  return { added, removed, changed, openedMedia, bandwidthRaised };
}

/** number → bigger number, or number → null (no cap), is a raise; null → number lowers from unlimited. */
function raised(before: number | null, after: number | null): boolean {
  if (before === null) {
    return false;
  }
  return after === null || after > before;
}

function sameChannel(a: DcChannel, b: DcChannel): boolean {
  if (a.dcmapParams !== b.dcmapParams || a.kind !== b.kind || a.appId !== b.appId || a.dcsa.length !== b.dcsa.length) {
    return false;
  }
  for (let i = 0; i < a.dcsa.length; i += 1) {
    if (a.dcsa[i] !== b.dcsa[i]) {
      return false;
    }
  }
  return true;
}
