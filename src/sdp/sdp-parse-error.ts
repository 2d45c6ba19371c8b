/**
 * Thrown when a text that should be an SDP body is not one the guard can read in full (no `v=`
 * line first, or a line that is not `<type>=<value>`; see sdp-doc.ts). The message names the
 * line number and the reason, never the line's text.
 */
export class SdpParseError extends Error {
  override readonly name = 'SdpParseError';

  constructor(message: string) {
    super(message);
  }
}
