import t from 'tap';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { main } from '../../src/cli/main.ts';
import { PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';

// The README's `dc-guard check` examples for data channel offers and answers (standalone DC,
// answer integrity, DC restart), run on their fixtures so that the README cannot drift from them.
const D = 'test/fixtures/check-dc';

async function check(...steps: string[]): Promise<Record<string, unknown>[]> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (l) => out.push(l), stderr: (l) => err.push(l), env: PSEUDONYM_ENV, cwd: process.cwd() };
  const code = await main(['check', '--profile', `${D}/profile.yaml`, ...steps.map((s) => s.replace('=', `=${D}/`))], io);
  if (code !== 0) {
    throw new Error(`check exited ${code}: ${[...err, ...out].join('\n')}`);
  }
  return out.map((l) => JSON.parse(l) as Record<string, unknown>);
}

t.test('a DC-only offer from the AS with nothing granted in it: 488 with the reason', async (t) => {
  const [line] = await check('weather-as=dc-only-from-as.sip');
  t.match(line, { action: 'reject', status: 488, reasons: [{ code: 'dc.app-not-granted', appId: 'com.example.ads', mediaIndex: 0, streamId: 1002 }] });
  t.match(String(line?.response), /Warning: 399 \S+ "dc\.app-not-granted"/);
});

t.test("an answer that turned the core's P2P channel toward an AS: that channel refused, the rest passes", async (t) => {
  const [offer, answer] = await check('core=answer-01-invite-from-core.sip', 'weather-as=answer-02-200-from-as.sip');
  t.match(offer, { to: 'weather-as', action: 'forward', reasons: [] });
  t.match(answer, { to: 'core', action: 'forward', reasons: [{ code: 'dc.answer-app-changed', mediaIndex: 1, streamId: 1001 }] });
  const sdp = String(answer?.forwarded);
  t.notMatch(sdp, /dcmap:1001|endpoint=as/);
  t.match(sdp, /a=dcmap:1000 label="weather"/);
});

t.test('a DC restart (new port, a=setup, a=fingerprint, a=tls-id) passes under modify: none; a relabel does not', async (t) => {
  const lines = await check(
    'weather-as=restart-01-invite-from-as.sip',
    'core=restart-02-200-from-core.sip',
    'weather-as=restart-03-ack-from-as.sip',
    'weather-as=restart-04-reinvite-restart-from-as.sip',
    'core=restart-05-200-from-core.sip',
    'weather-as=restart-06-ack-from-as.sip',
    'weather-as=restart-07-reinvite-relabel-from-as.sip',
  );
  t.same(lines.map((l) => [l.action, l.status]), [...Array.from({ length: 6 }, () => ['forward', null]), ['reject', 403]]);
  t.same(lines[3]?.reasons, [], 'the restart needs no grant');
  t.match(String(lines[3]?.forwarded), /m=application 53000 [\s\S]*a=setup:active\na=fingerprint:SHA-256 11:22:[\s\S]*a=tls-id:ffee0011223344556677\n/, 'its security lines byte for byte');
  t.match(lines[6], { reasons: [{ code: 'dialog.modify-not-granted', streamId: 1000 }] });
});
