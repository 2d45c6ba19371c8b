/**
 * Valid bodies the fuzzer starts from: IMS offers and answers with a data-channel m-line
 * (RFC 8841/8864, TS 26.114 6.2.10: bootstrap on stream 0, application channels from 1000 with
 * their a=3gpp-req-app line), and multipart bodies around them (RFC 5621) as IMS sends them.
 */

const FINGERPRINT = 'a=fingerprint:SHA-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF';

export interface DcChannel {
  readonly stream: number;
  readonly label?: string;
  readonly sub: string;
  readonly app?: string;
}

export const BOOTSTRAP: DcChannel = { stream: 0, sub: 'http' };
export const WEATHER: DcChannel = { stream: 1000, label: 'weather', sub: 'x-app', app: 'com.example.weather' };
export const ADS: DcChannel = { stream: 1002, label: 'ads', sub: 'x-app', app: 'com.example.ads' };

/** The lines of one DC m-line section. */
export function dcSection(port: number, channels: readonly DcChannel[], setup: 'actpass' | 'active' = 'actpass'): string[] {
  const lines = [
    `m=application ${port} UDP/DTLS/SCTP webrtc-datachannel`,
    'c=IN IP4 192.0.2.156',
    'b=AS:200',
    'a=max-message-size:1024',
    'a=sctp-port:5000',
    `a=setup:${setup}`,
    FINGERPRINT,
    'a=tls-id:abc3de65cddef001be82',
  ];
  for (const c of channels) {
    const params = [c.label === undefined ? null : `label="${c.label}"`, `subprotocol="${c.sub}"`].filter((p) => p !== null);
    lines.push(`a=dcmap:${c.stream} ${params.join(';')}`);
    if (c.app !== undefined) {
      lines.push(`a=3gpp-req-app:${c.app}`);
    }
  }
  return lines;
}

/** Audio + one DC m-line; `version` is the o= session version (a re-offer raises it). */
export function dcSdp(opts: { user?: string; version?: number; channels?: readonly DcChannel[]; answer?: boolean } = {}): string {
  const lines = [
    'v=0',
    `o=${opts.user ?? 'alice'} 2890844526 ${opts.version ?? 1} IN IP4 192.0.2.10`,
    's=-',
    't=0 0',
    'm=audio 49170 RTP/AVP 0 101',
    'c=IN IP4 192.0.2.10',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    ...dcSection(52718, opts.channels ?? [BOOTSTRAP, WEATHER], opts.answer === true ? 'active' : 'actpass'),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

export const MULTIPART_BOUNDARY = 'dcg-fuzz-b1';
export const INNER_BOUNDARY = 'dcg-fuzz-b2';

/** A byte string like an ISUP IAM: binary, carries numbers, must never be misread as text. */
const ISUP = Buffer.from([0x01, 0x10, 0x48, 0x00, 0x0a, 0x03, 0x02, 0x0a, 0x08, 0x83, 0x90, 0x55, 0x55, 0x00, 0x22, 0x22, 0x0f, 0x0d, 0x0a, 0x00]).toString('latin1');

/**
 * multipart/mixed: the SDP beside an ISUP part (RFC 3204), as a gateway in the core sends it, or
 * beside a DTMF part, which is what an untrusted peer may send (the guard refuses ISUP from it).
 */
export function mixedBody(sdp: string, companion: 'isup' | 'dtmf' = 'isup'): { type: string; body: string } {
  const second =
    companion === 'isup'
      ? ['Content-Type: application/isup;version=itu-t92+', 'Content-Disposition: signal;handling=optional', '', ISUP]
      : ['Content-Type: application/dtmf-relay', '', 'Signal=5\r\nDuration=160'];
  const body = [`--${MULTIPART_BOUNDARY}`, 'Content-Type: application/sdp', '', sdp, `--${MULTIPART_BOUNDARY}`, ...second, `--${MULTIPART_BOUNDARY}--`, ''].join('\r\n');
  return { type: `multipart/mixed;boundary=${MULTIPART_BOUNDARY}`, body };
}

/** multipart/mixed holding a multipart/alternative holding the SDP: SDP one level down. */
export function nestedBody(sdp: string): { type: string; body: string } {
  const inner = [`--${INNER_BOUNDARY}`, 'Content-Type: application/sdp', '', sdp, `--${INNER_BOUNDARY}--`, ''].join('\r\n');
  const body = [
    `--${MULTIPART_BOUNDARY}`,
    `Content-Type: multipart/alternative;boundary=${INNER_BOUNDARY}`,
    '',
    inner,
    `--${MULTIPART_BOUNDARY}--`,
    '',
  ].join('\r\n');
  return { type: `multipart/mixed;boundary=${MULTIPART_BOUNDARY}`, body };
}
