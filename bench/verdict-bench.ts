/**
 * `npm run bench`: verdicts per second for an INVITE with audio + a DC m-line carrying a
 * bootstrap and two application channels, beside a bare sdp-transform parse+write of the same
 * SDP measured in the same run (the baseline). Figures are reported as ratios to it.
 */
import sdpTransform from 'sdp-transform';
import { NO_GRANTS } from '../src/policy/actor.ts';
import { VerdictEngine } from '../src/policy/verdict-engine.ts';
import { parseProfile } from '../src/profile/load-profile.ts';
import { readSdp } from '../src/sdp/read-sdp.ts';
import { buildController } from '../src/call/build-controller.ts';
import { parseSipMessage } from '../src/sip/sip-parser.ts';
import { serializeSipMessage } from '../src/sip/sip-serializer.ts';
import { measure, type Measurement } from './measure.ts';

const PROFILE = parseProfile(
  `
sip: { listen: ["udp:127.0.0.10:5060"], next_hop: "sip:127.0.0.2:5060" }
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32", "127.0.0.2/32"] } }
  - id: weather-as
    trusted: false
    uri: "sip:127.0.0.3:5060"
    match: { source: ["127.0.0.3/32"] }
    identity: anonymous
    grants: { bootstrap: true, apps: ["com.example.weather"], max_channels: 8, max_bandwidth_kbps: 512, modify: own }
`,
  'bench.yaml',
);

const SDP = [
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

const INVITE = [
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

const weather = PROFILE.peers.find((p) => p.id === 'weather-as');
const engine = new VerdictEngine(PROFILE);
const untrusted = { id: 'weather-as', trusted: false, grants: weather?.grants ?? NO_GRANTS };
const trusted = { id: 'core', trusted: true, grants: NO_GRANTS };

function verdict(initiator: typeof untrusted): string | null {
  const v = engine.decide({
    kind: 'offer',
    method: 'INVITE',
    initial: true,
    initiator,
    sdp: readSdp(SDP),
    baseline: null,
    owners: [],
    mediaOwners: [],
    servedUsers: ['sip:as@weather.example', 'tel:+15550002222'],
  });
  return v.sdp;
}

async function main(): Promise<void> {
  const controller = buildController(PROFILE, { env: {} });
  let n = 0;
  const results: Measurement[] = [];
  results.push(await measure('baseline: sdp-transform parse + write', () => sdpTransform.write(sdpTransform.parse(SDP))));
  results.push(await measure('verdict, untrusted AS (1 channel stripped, o= bumped)', () => verdict(untrusted)));
  results.push(await measure('verdict, trusted core (SDP passes as is)', () => verdict(trusted)));
  results.push(
    await measure(
      'whole INVITE: SIP parse + B2BUA controller + serialize',
      async () => {
        n += 1;
        const request = parseSipMessage(INVITE.replace('bench-CALL', `bench-${n}`));
        if (request.kind !== 'request') {
          throw new Error('fixture is not a request');
        }
        const outcome = await controller.handleRequest(request, {
          address: '127.0.0.3',
          port: 5060,
          transport: 'udp',
        });
        return outcome.kind === 'forward' ? serializeSipMessage(outcome.message) : null;
      },
      2_000,
      5,
    ),
  );
  const baseline = results[0]?.nsPerOp ?? 1;
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  console.log('| measurement | ops/s | µs/op | × baseline |');
  console.log('|---|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.name} | ${Math.round(r.opsPerSecond).toLocaleString('en-US')} | ${(r.nsPerOp / 1000).toFixed(2)} | ${(r.nsPerOp / baseline).toFixed(2)} |`);
  }
  const untrustedRatio = (results[1]?.nsPerOp ?? 0) / baseline;
  console.log(`\ngoal: a full verdict costs no more than 3x a bare parse+write: ${untrustedRatio <= 3 ? 'met' : 'NOT met'} (${untrustedRatio.toFixed(2)}x)`);
}

await main();
