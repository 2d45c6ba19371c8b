import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';

function run(argv: string[], env: Record<string, string> = PSEUDONYM_ENV): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (l) => out.push(l), stderr: (l) => err.push(l), env, cwd: process.cwd() };
  return main(argv, io).then((code) => ({ code, out, err }));
}

const FIXTURES = 'test/fixtures/check';

t.test('check runs a call through an untrusted AS and prints one JSON verdict per message', async (t) => {
  const { code, out, err } = await run([
    'check',
    '--profile',
    `${FIXTURES}/profile.yaml`,
    `core=${FIXTURES}/01-invite-from-core.sip`,
    `weather-as=${FIXTURES}/02-invite-from-as.sip`,
  ]);
  t.equal(code, 0, err.join('\n'));
  t.equal(out.length, 2);
  const [first, second] = out.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(first, { index: 1, from: 'core', to: 'weather-as', action: 'forward', status: null, reasons: [] });
  t.notMatch(String(first?.forwarded), /alice|15550002222|utran-cell/, 'pseudonymised toward the AS');
  t.match(second, { index: 2, from: 'weather-as', to: 'core', action: 'forward', status: null });
  t.same((second?.reasons as { code: string }[]).map((r) => r.code), ['dc.app-not-granted']);
  t.match(String(second?.forwarded), /P-Asserted-Identity: "Alice" <sip:alice@ims\.example\.net>/);
  t.notMatch(String(second?.forwarded), /com\.example\.ads|evil@attacker/);
});

t.test('check reports a rejection with its status and the SIP response', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-check-'));
  const bye = join(dir, 'bye.sip');
  writeFileSync(
    bye,
    'BYE sip:guard@127.0.0.10 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.3;branch=z9hG4bK-b\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>;tag=2\nCall-ID: nope\nCSeq: 5 BYE\nMax-Forwards: 70\n\n',
  );
  const { code, out } = await run(['check', '--profile', `${FIXTURES}/profile.yaml`, `weather-as=${bye}`]);
  t.equal(code, 0);
  const line = JSON.parse(out[0] ?? '{}') as Record<string, unknown>;
  t.match(line, { action: 'reject', status: 481, forwarded: null, to: 'weather-as' });
  t.match(String(line.response), /^SIP\/2\.0 481 Call\/Transaction Does Not Exist\r\n/);
});

t.test('an unparseable message stops check with exit 1 and a JSON error naming it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-check-'));
  const bad = join(dir, 'bad.sip');
  writeFileSync(bad, 'INVITE sip:x SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-1\n\n');
  const { code, out } = await run(['check', '--profile', `${FIXTURES}/profile.yaml`, `core=${FIXTURES}/01-invite-from-core.sip`, `core=${bad}`]);
  t.equal(code, 1);
  t.equal(out.length, 2, 'the first message still got its verdict');
  t.match(JSON.parse(out[1] ?? '{}'), { error: 'unparseable message', index: 2, file: bad, peer: 'core' });
  t.match((JSON.parse(out[1] ?? '{}') as { reason: string }).reason, /missing/i);
});

t.test('check refuses to run without the pseudonym key a profile needs, and on unknown peers', async (t) => {
  const noKey = await run(['check', '--profile', `${FIXTURES}/profile.yaml`, `core=${FIXTURES}/01-invite-from-core.sip`], {});
  t.equal(noKey.code, 2);
  t.match(noKey.err.join('\n'), /DC_GUARD_PSEUDONYM_KEY is not set/);
  const unknown = await run(['check', '--profile', `${FIXTURES}/profile.yaml`, `nobody=${FIXTURES}/01-invite-from-core.sip`]);
  t.equal(unknown.code, 2);
  t.match(unknown.err.join('\n'), /"nobody" is neither a peer id/);
  const byAddress = await run(['check', '--profile', `${FIXTURES}/profile.yaml`, `127.0.0.9=${FIXTURES}/01-invite-from-core.sip`]);
  t.equal(byAddress.code, 0);
  t.match(JSON.parse(byAddress.out[0] ?? '{}'), { from: 'unknown:127.0.0.9', action: 'reject', status: 403, reasons: [{ code: 'peer.unknown' }] });
});

t.test('the CLI without a command prints usage and exits 2', async (t) => {
  const { code, out } = await run([]);
  t.equal(code, 2);
  t.match(out.join('\n'), /usage: dc-guard/);
});
