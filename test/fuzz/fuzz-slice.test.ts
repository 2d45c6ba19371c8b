import t from 'tap';
import { ungrantedChannelOpen } from '../../fuzz/controller-level.ts';
import { ADS, WEATHER, dcSdp, nestedBody } from '../../fuzz/dc-bodies.ts';
import { isDocumented500, quoteBytes, type FuzzTally } from '../../fuzz/findings.ts';
import { runFuzz } from '../../fuzz/fuzz-run.ts';
import { fixContentLength, mutate } from '../../fuzz/mutations.ts';
import { minimizeParserInput } from '../../fuzz/minimize.ts';
import { parseOnce } from '../../fuzz/parser-level.ts';
import { standaloneSeeds } from '../../fuzz/sip-templates.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';

// The CI slice of `npm run fuzz`: a fixed seed, 3,000 cases for the parser and the controller
// and 400 on the wire (UDP and TCP) to a live embedded guard on 127.0.0.22, then a good call.
const SEED = 20_261_202;

function describeFindings(tally: FuzzTally): string {
  return tally.kept.map((f) => `${f.kind} at ${f.level}: ${f.detail.slice(0, 300)} input=${quoteBytes(f.input ?? '', 600)}`).join('\n') || 'none';
}

t.test('a fixed-seed slice: no crash, no unhandled rejection, no 500, bounded memory, and a good call after it', async (t) => {
  const tally = await runFuzz({ seed: SEED, runs: 3_000, wireRuns: 400, wire: { guardIp: '127.0.0.22', basePort: 38060 } });
  const findings = describeFindings(tally);
  // A case sends one mutated message, or up to three in a confirmed dialog.
  t.equal(tally.inputs.parser, 1_500, 'the parser got its share');
  t.ok(tally.inputs.controller >= 1_500, 'the controller got its share');
  t.ok(tally.inputs.udp + tally.inputs.tcp >= 400, 'the live guard got its share');
  t.ok(tally.inputs.udp > 0 && tally.inputs.tcp > 0, 'on both transports');
  // A fuzzer whose every input dies in the parser tests only the parser.
  t.ok(tally.refused.controller < tally.inputs.controller * 0.8, `mutated messages reach the controller (${tally.refused.controller} of ${tally.inputs.controller} refused by the parser)`);
  t.equal(tally.count('crash') + tally.count('uncaught-exception'), 0, 'no crash', { findings });
  t.equal(tally.count('unhandled-rejection'), 0, 'no unhandled rejection', { findings });
  t.equal(tally.count('guard-error-log'), 0, 'the live guard logged no caught exception', { findings });
  t.equal(tally.count('status-500'), 0, 'no 500 but the documented one', { findings });
  t.equal(tally.count('policy-bypass'), 0, 'no ungranted channel of the AS open toward the core', { findings });
  // Open issue of src/sip (the lead's to fix, see the fuzz report): header bytes over 0x7f are
  // checked as latin1 but kept as UTF-8, so 0xA0 is white space while checking and U+FFFD after.
  // Any other unparseable output fails here.
  t.equal(tally.count('unparseable-output'), tally.unparseableFromNonAsciiHeaders, 'everything the guard sent parses, but for the open non-ASCII header issue', { findings });
  t.ok(tally.peakRssBytes - tally.baselineRssBytes < 512 * 2 ** 20, `RSS grew by less than 512 MB (peak ${(tally.peakRssBytes / 2 ** 20).toFixed(0)} MB)`);
  t.equal(tally.goodCall, true, 'a good call goes through the guard right after the run', { findings });
  t.equal(tally.total - tally.unparseableFromNonAsciiHeaders, 0, 'no other findings', { findings });
});

t.test('the same seed gives the same parser and controller inputs (a run can be replayed)', async (t) => {
  const a = await runFuzz({ seed: 7, runs: 400, wireRuns: 0, wire: { guardIp: '127.0.0.22', basePort: 38060 } });
  const b = await runFuzz({ seed: 7, runs: 400, wireRuns: 0, wire: { guardIp: '127.0.0.22', basePort: 38060 } });
  t.same(a.refused, b.refused, 'the same inputs were refused');
  const c = await runFuzz({ seed: 8, runs: 400, wireRuns: 0, wire: { guardIp: '127.0.0.22', basePort: 38060 } });
  t.not(c.refused.parser, a.refused.parser, 'another seed, other inputs');
});

t.test('only the documented Privacy: session;critical 500 is excluded', async (t) => {
  const request = (privacy: string): ReturnType<typeof parseSipMessage> =>
    parseSipMessage(
      `INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n${privacy}Content-Length: 0\r\n\r\n`,
    );
  const response = (warning: string): ReturnType<typeof parseSipMessage> =>
    parseSipMessage(`SIP/2.0 500 Server Internal Error\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n${warning}Content-Length: 0\r\n\r\n`);
  const documented = response('Warning: 399 127.0.0.10 "sdp.unparseable privacy.critical-unsupported"\r\n');
  t.ok(isDocumented500(documented, request('Privacy: session;critical\r\n')), 'Privacy: session;critical, and the 500 names it');
  t.ok(isDocumented500(documented, null), 'on the wire, where the request is not known, the Warning decides');
  t.notOk(isDocumented500(documented, request('Privacy: id;critical\r\n')), 'a request that did not ask for session');
  t.notOk(isDocumented500(documented, request('')), 'a request without Privacy');
  t.notOk(isDocumented500(response(''), request('Privacy: session;critical\r\n')), 'a 500 that does not name the reason (the catch-all of a failed handler)');
  t.notOk(isDocumented500(response('Warning: 399 g "privacy.critical-unsupported-x"\r\n'), null), 'another reason code');
});

t.test('the policy oracle sees an ungranted channel left open, in plain and multipart bodies, and not one refused', async (t) => {
  const invite = (body: string, type: string): ReturnType<typeof parseSipMessage> =>
    parseSipMessage(
      `INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  const open = dcSdp({ channels: [WEATHER, ADS] });
  t.match(ungrantedChannelOpen(invite(open, 'application/sdp')) ?? '', /com\.example\.ads open/, 'plain SDP');
  const { type, body } = nestedBody(open);
  t.match(ungrantedChannelOpen(invite(body, type)) ?? '', /com\.example\.ads open/, 'SDP inside nested multipart');
  t.equal(ungrantedChannelOpen(invite(open.replace('m=application 52718', 'm=application 0'), 'application/sdp')), null, 'the m-line refused (port 0)');
  t.equal(ungrantedChannelOpen(invite(dcSdp({ channels: [WEATHER] }), 'application/sdp')), null, 'the channel stripped');
});

t.test('mutations do what they are named for, and the parser level tells a crash from a refusal', async (t) => {
  const seed = standaloneSeeds()[0] ?? '';
  t.equal(parseOnce(seed).kind, 'accepted', 'the seeds are valid messages');
  const manyVias = mutate(seed, { mutations: [{ op: 'repeat', what: 'via-lines', line: 0, count: 50 }], fixLength: false }, []);
  t.equal(manyVias.split('\r\nVia: ').length - 1, 52, '50 more Via lines');
  const compact = mutate(seed, { mutations: [{ op: 'name', line: 0, style: 'compact' }], fixLength: false }, []);
  t.match(compact, /\r\nv: SIP\/2\.0/, 'the compact form of Via');
  const lie = mutate(seed, { mutations: [{ op: 'content-length', lie: 'plus-one' }], fixLength: false }, []);
  t.equal(parseOnce(lie).kind, 'refused', 'a Content-Length longer than the body is refused');
  t.equal(parseOnce(fixContentLength(lie)).kind, 'accepted', 'and fixed again');
  const truncated = mutate(seed, { mutations: [{ op: 'truncate', at: 30 }], fixLength: false }, []);
  t.equal(truncated.length, 30);
  t.equal(parseOnce(truncated).kind, 'refused');
});

t.test('a parser finding is minimized to the bytes that matter', async (t) => {
  // A byte 0xA0 read as white space while checking, then turned into U+FFFD: the message parses, its re-serialization does not.
  const seed = standaloneSeeds()[0] ?? '';
  const input = seed.replace(/\r\nTo: ([^\r\n]*)/, '\r\nTo: $1;\u00a0x=1');
  const verdict = parseOnce(input).kind;
  if (verdict === 'accepted') {
    t.pass('the parser no longer shows this finding; nothing to minimize');
    return;
  }
  const small = minimizeParserInput(input, verdict);
  t.equal(parseOnce(small).kind, verdict, 'the minimized input shows the same finding');
  t.ok(small.length < input.length / 3, `much shorter (${small.length} of ${input.length} bytes)`);
});
