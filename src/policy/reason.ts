/** Machine-readable reasons attached to every verdict; operators filter logs and `dc-guard check` output on `code`. */
export type ReasonCode =
  | 'peer.unknown'
  | 'peer.rate-limited'
  | 'peer.concurrent-calls'
  | 'initiator.ignored'
  | 'initiator.unknown'
  | 'dc.app-not-granted'
  | 'dc.bootstrap-not-granted'
  | 'dc.consent-denied'
  | 'dc.cap-channels'
  | 'dc.cap-bandwidth'
  | 'dc.answer-not-offered'
  | 'dc.answer-port-refused'
  | 'dc.answer-app-changed'
  | 'dialog.modify-not-granted'
  | 'dialog.terminate-not-granted'
  | 'dialog.unknown'
  | 'dialog.wrong-peer'
  | 'dialog.forked-answer'
  | 'session.interval-too-small'
  | 'session.expired'
  | 'route.not-allowed'
  | 'body.unsupported-type'
  | 'sip.extension-unsupported'
  | 'sdp.unparseable'
  | 'sdp.mline-count'
  | 'sdp.answer-unverifiable'
  | 'privacy.critical-unsupported'
  | 'state.unavailable';

export interface Reason {
  readonly code: ReasonCode;
  readonly peer?: string;
  readonly mediaIndex?: number;
  readonly streamId?: number;
  readonly appId?: string | null;
  readonly detail?: string;
}
