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
import { INVITE, PROFILE_YAML, SDP } from './bench-fixtures.ts';
import { worstInvite } from './worst-message.ts';
import { measure, type Measurement } from './measure.ts';

const PROFILE = parseProfile(PROFILE_YAML, 'bench.yaml');

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
  /** Parse, decide and serialize one INVITE from weather-as, as the embedded front end does. */
  const wholeInvite = (text: string) => async () => {
    n += 1;
    const request = parseSipMessage(text.replace(/Call-ID: \S+/, `Call-ID: bench-${n}`));
    if (request.kind !== 'request') {
      throw new Error('fixture is not a request');
    }
    const outcome = await controller.handleRequest(request, { address: '127.0.0.3', port: 5060, transport: 'udp' });
    return outcome.kind === 'forward' ? serializeSipMessage(outcome.message) : null;
  };
  results.push(await measure('whole INVITE: SIP parse + B2BUA controller + serialize', wholeInvite(INVITE), 2_000, 5));
  const worst = worstInvite();
  results.push(await measure(`worst INVITE within the message limits (${Math.round(worst.length / 1024)} KB): same path`, wholeInvite(worst), 300, 5));
  const baseline = results[0]?.nsPerOp ?? 1;
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  console.log('| measurement | ops/s | µs/op | × baseline |');
  console.log('|---|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.name} | ${Math.round(r.opsPerSecond).toLocaleString('en-US')} | ${(r.nsPerOp / 1000).toFixed(2)} | ${(r.nsPerOp / baseline).toFixed(2)} |`);
  }
  const untrustedRatio = (results[1]?.nsPerOp ?? 0) / baseline;
  console.log(`\ngoal: a full verdict costs no more than 3x a bare parse+write: ${untrustedRatio <= 3 ? 'met' : 'NOT met'} (${untrustedRatio.toFixed(2)}x)`);
  // The most an untrusted peer can make one message cost, against what a call costs.
  const worstRatio = (results[4]?.nsPerOp ?? 0) / (results[3]?.nsPerOp ?? 1);
  console.log(`goal: the worst message within the limits costs no more than 10x a typical INVITE: ${worstRatio <= 10 ? 'met' : 'NOT met'} (${worstRatio.toFixed(2)}x)`);
}

await main();
