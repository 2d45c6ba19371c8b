/** Builds real-looking IMS offers with a DC m-line, CRLF line endings, for policy and call tests. */
export interface ChannelSpec {
  readonly stream: number;
  readonly sub?: string;
  readonly label?: string;
  readonly app?: string;
}

export interface OfferSpec {
  readonly version?: number;
  readonly audioPort?: number;
  readonly dcPort?: number;
  readonly bandwidth?: number | null;
  readonly channels?: readonly ChannelSpec[];
  /** Extra DC m-lines appended after the first one. */
  readonly extraDc?: readonly { readonly port?: number; readonly bandwidth?: number | null; readonly channels: readonly ChannelSpec[] }[];
  readonly username?: string;
}

export const BOOTSTRAP: ChannelSpec = { stream: 0, sub: 'http' };
export const WEATHER: ChannelSpec = { stream: 1000, sub: 'x-app', label: 'weather', app: 'com.example.weather' };
export const ADS: ChannelSpec = { stream: 1002, sub: 'x-app', label: 'ads', app: 'com.example.ads' };

function dcSection(port: number, bandwidth: number | null, channels: readonly ChannelSpec[]): string[] {
  const lines = ['m=application ' + port + ' UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 192.0.2.156'];
  if (bandwidth !== null) {
    lines.push(`b=AS:${bandwidth}`);
  }
  lines.push(
    'a=max-message-size:1024',
    'a=sctp-port:5000',
    'a=setup:actpass',
    'a=fingerprint:SHA-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF',
    'a=tls-id:abc3de65cddef001be82',
  );
  for (const c of channels) {
    const params = [c.label === undefined ? null : `label="${c.label}"`, c.sub === undefined ? null : `subprotocol="${c.sub}"`].filter((p) => p !== null);
    lines.push(`a=dcmap:${c.stream} ${params.join(';')}`);
    if (c.app !== undefined) {
      lines.push(`a=3gpp-req-app:${c.app}`);
    }
  }
  return lines;
}

export function offer(spec: OfferSpec = {}): string {
  const lines = [
    'v=0',
    `o=${spec.username ?? 'alice'} 2890844526 ${spec.version ?? 1} IN IP4 192.0.2.10`,
    's=-',
    't=0 0',
    `m=audio ${spec.audioPort ?? 49170} RTP/AVP 0 101`,
    'c=IN IP4 192.0.2.10',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    ...dcSection(spec.dcPort ?? 52718, spec.bandwidth === undefined ? 200 : spec.bandwidth, spec.channels ?? [BOOTSTRAP]),
  ];
  for (const extra of spec.extraDc ?? []) {
    lines.push(...dcSection(extra.port ?? 52720, extra.bandwidth === undefined ? 200 : extra.bandwidth, extra.channels));
  }
  return lines.join('\r\n') + '\r\n';
}
