/** Thrown when a text that should be an SDP body is not one (no `v=` line first). */
export class SdpParseError extends Error {
  override readonly name = 'SdpParseError';

  constructor(message: string) {
    super(message);
  }
}
