/**
 * What the benchmarks send: a lab profile (the core, and weather-as untrusted with grants), and
 * an untrusted AS's INVITE with audio + a DC m-line holding a bootstrap, a granted and an
 * ungranted application channel (the guard strips the last).
 */
export const PROFILE_YAML = `
sip: { listen: ["udp:127.0.0.10:5060"], next_hop: "sip:127.0.0.2:5060" }
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32", "127.0.0.2/32"] } }
  - id: weather-as
    trusted: false
    uri: "sip:127.0.0.3:5060"
    match: { source: ["127.0.0.3/32"] }
    identity: anonymous
    grants: { bootstrap: true, apps: ["com.example.weather"], max_channels: 8, max_bandwidth_kbps: 512, modify: own }
`;

export const SDP = [
  'v=0',
  'o=- 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'c=IN IP4 192.0.2.10',
  'b=AS:64',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'm=application 52718 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 192.0.2.10',
  'b=AS:500',
  'a=max-message-size:1024',
  'a=sctp-port:5000',
  'a=setup:actpass',
  'a=fingerprint:SHA-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF',
  'a=tls-id:abc3de65cddef001be82',
  'a=dcmap:0 subprotocol="http"',
  'a=dcmap:1000 label="weather";subprotocol="x-app"',
  'a=3gpp-req-app:com.example.weather',
  'a=dcmap:1002 label="ads";subprotocol="x-app"',
  'a=3gpp-req-app:com.example.ads',
  '',
].join('\r\n');

export const INVITE = [
  'INVITE tel:+15550002222 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-bench',
  'Max-Forwards: 70',
  'From: <sip:as@weather.example>;tag=b1',
  'To: <tel:+15550002222>',
  'Call-ID: bench-CALL',
  'CSeq: 1 INVITE',
  'Contact: <sip:127.0.0.3:5060>',
  'Content-Type: application/sdp',
  '',
  SDP,
].join('\r\n');
