/**
 * The most expensive INVITE an untrusted AS can send inside the default message limits
 * (src/sip/message-limits.ts): every header the controller reads at its parameter and entry
 * bounds, the rest of the header budget filled, and a multipart body of distinct SDP parts that
 * together reach the SDP line and m-line bounds, all within the message size. What the attacker of issue "Stay up
 * under abuse" would build once it knows the limits.
 */
import { DEFAULT_MESSAGE_LIMITS as L } from '../src/sip/message-limits.ts';

const params = (n: number, name = 'p'): string => Array.from({ length: n }, (_, i) => `;${name}${i}=v`).join('');

/** An SDP part with `mLines` DC m-lines, each with channels, filled up to `lines` lines; `part` makes it unlike the others. */
function heavySdp(mLines: number, lines: number, part: number): string {
  const out = ['v=0', `o=- ${2890844526 + part} 2890844526 IN IP4 192.0.2.${10 + part}`, 's=-', 't=0 0'];
  for (let m = 0; m < mLines; m++) {
    out.push(`m=application ${50000 + 100 * part + m} UDP/DTLS/SCTP webrtc-datachannel`, 'c=IN IP4 192.0.2.10', 'b=AS:500', 'a=sctp-port:5000');
    out.push(`a=dcmap:${1000 + m} label="w${m}";subprotocol="x-app"`, 'a=3gpp-req-app:com.example.weather');
    out.push(`a=dcmap:${2000 + m} label="ads${m}";subprotocol="x-app"`, 'a=3gpp-req-app:com.example.ads');
  }
  while (out.length < lines) {
    out.push(`a=x-filler:${out.length}`);
  }
  return `${out.join('\r\n')}\r\n`;
}

/** The worst INVITE within the limits, from weather-as (127.0.0.3); `{n}` in Call-ID is for uniqueness. */
export function worstInvite(): string {
  const boundary = 'worst-boundary';
  const parts = L.maxBodyParts;
  const sdp = Array.from({ length: parts }, (_, i) => heavySdp(Math.floor(L.maxSdpMedia / parts), Math.floor(L.maxSdpLines / parts), i));
  const body = `${sdp.map((part) => `--${boundary}\r\nContent-Type: application/sdp\r\n\r\n${part}\r\n`).join('')}--${boundary}--\r\n`;
  const perLine = L.maxParamsPerHeader;
  const head = [
    'INVITE tel:+15550002222 SIP/2.0',
    ...Array.from({ length: L.maxListEntries / 2 }, (_, i) => `Via: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-worst${i}${params(8)}, SIP/2.0/UDP 10.0.0.${i}:5060;branch=z9hG4bKx${i}`),
    'Max-Forwards: 70',
    `From: <sip:as@weather.example${params(perLine / 2, 'u')}>;tag=b1${params(perLine / 2 - 1)}`,
    `To: <tel:+15550002222>${params(perLine)}`,
    'Call-ID: worst-CALL',
    'CSeq: 1 INVITE',
    `Contact: <sip:127.0.0.3:5060${params(perLine / 2, 'c')}>${params(perLine / 2)}`,
    `P-Asserted-Identity: ${Array.from({ length: 2 }, (_, i) => `<sip:as${i}@weather.example${params(perLine / 4)}>`).join(', ')}`,
    `Supported: ${Array.from({ length: L.maxListEntries }, (_, i) => `ext${i}`).join(', ')}`,
    `Content-Type: multipart/mixed;boundary=${boundary}`,
  ];
  let text = `${head.join('\r\n')}\r\n`;
  // Unknown headers up to the message size: each is read, matched against the allow-lists and removed.
  for (let i = 0; text.length + body.length + 600 < L.maxMessageBytes && i < L.maxHeaders - head.length - 2; i++) {
    text += `X-Junk-${i}: ${'j'.repeat(40)}${params(4)}\r\n`;
  }
  return `${text}Content-Length: ${body.length}\r\n\r\n${body}`;
}
