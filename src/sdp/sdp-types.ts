/** What the guard knows about the data channels of one SDP (RFC 8841, RFC 8864, TS 26.114 6.2.10). */

export type DcChannelKind = 'bootstrap' | 'application';

export interface DcChannel {
  /** SCTP stream id from `a=dcmap:<stream-id>`. Unique inside one m-line. */
  readonly streamId: number;
  readonly kind: DcChannelKind;
  /**
   * For application channels: first token of the associated `3gpp-req-app`, or null
   * ("unknown application") when there is none. Always null for bootstrap channels.
   */
  readonly appId: string | null;
  readonly label: string | null;
  readonly subprotocol: string | null;
  /** Raw text after `a=dcmap:<id> ` — compared to detect a changed channel. */
  readonly dcmapParams: string;
  /** Raw `a=dcsa:<id> ...` attribute values (without the `dcsa:<id> ` prefix), in order. */
  readonly dcsa: readonly string[];
}

export interface DcMedia {
  /** Index of this m-line among all m-lines of the SDP (0-based). */
  readonly index: number;
  readonly port: number;
  readonly proto: string;
  /** `b=AS:` of this m-line in kbit/s, or null when absent. */
  readonly bandwidthKbps: number | null;
  readonly channels: readonly DcChannel[];
}

export interface SdpOrigin {
  readonly username: string;
  readonly sessionId: string;
  /** Kept as a string: RFC 4566 allows 64-bit values that a JS number cannot hold. */
  readonly sessionVersion: string;
}

/** One parsed SDP: the raw text (kept), the m-line count, and its data channels. */
export interface SdpView {
  readonly raw: string;
  readonly mediaCount: number;
  /** `m=` media type of each m-line, in order ("audio", "application", ...). */
  readonly mediaTypes: readonly string[];
  readonly origin: SdpOrigin | null;
  readonly dcMedia: readonly DcMedia[];
}

/** A channel named by where it lives: m-line index and SCTP stream id. */
export interface DcChannelRef {
  readonly mediaIndex: number;
  readonly streamId: number;
}

export interface DcChange {
  readonly mediaIndex: number;
  readonly streamId: number;
  readonly before: DcChannel;
  readonly after: DcChannel;
}

/** Difference between two offers of one dialog, channel by channel. */
export interface DcDiff {
  readonly added: readonly (DcChannelRef & { readonly channel: DcChannel })[];
  /** Channels whose m-line went to port 0, disappeared, or whose dcmap line is gone. */
  readonly removed: readonly (DcChannelRef & { readonly channel: DcChannel })[];
  readonly changed: readonly DcChange[];
  /** DC m-lines (by index) that are open in `after` but were not open DC m-lines in `before`. */
  readonly openedMedia: readonly number[];
  /** DC m-lines open in both whose `b=AS` went up. */
  readonly bandwidthRaised: readonly { readonly mediaIndex: number; readonly before: number | null; readonly after: number | null }[];
}

/** Edits the guard applies to one SDP. Empty edits leave the SDP byte-identical. */
export interface DcEdits {
  /** m-line indexes to refuse: port 0, DC attributes dropped, m-line kept (RFC 3264 section 6, 8.2). */
  readonly refuseMedia: readonly number[];
  /** Single channels to remove (their dcmap/dcsa/3gpp-req-app lines). */
  readonly removeChannels: readonly DcChannelRef[];
}
