import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { validateCommand } from '../../src/cli/validate-command.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

interface Captured {
  readonly io: CliIo;
  readonly out: string[];
  readonly err: string[];
}

function capture(cwd: string, env: Record<string, string | undefined> = {}): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (line) => out.push(line), stderr: (line) => err.push(line), env, cwd }, out, err };
}

t.test('a valid profile: one ok line on stdout, exit 0', async (t) => {
  const run = capture(repo);
  t.equal(validateCommand(['--profile', 'sip-profiles/default.yaml'], run.io), 0);
  t.strictSame(run.out, ['sip-profiles/default.yaml: ok (2 peers: core (trusted), demo-as (untrusted))']);
  t.strictSame(run.err, []);
});

t.test('--profile=<file> and an absolute path work too', async (t) => {
  const run = capture('/');
  const file = join(repo, 'sip-profiles/default.yaml');
  t.equal(validateCommand([`--profile=${file}`], run.io), 0);
  t.strictSame(run.out, [`${file}: ok (2 peers: core (trusted), demo-as (untrusted))`]);
});

t.test('pseudonym peers without the key in the environment: still ok, with a note', async (t) => {
  const without = capture(repo);
  t.equal(validateCommand(['--profile', 'sip-profiles/example-operator.yaml'], without.io), 0);
  t.strictSame(without.out, [
    'sip-profiles/example-operator.yaml: ok (5 peers: core (trusted), weather-as (untrusted), appstore-as (untrusted), translate-as (untrusted), lab-as (untrusted))',
  ]);
  t.strictSame(without.err, ['sip-profiles/example-operator.yaml: note: DC_GUARD_PSEUDONYM_KEY is not set here; peers weather-as use identity pseudonym, so the guard would not start']);
  const withKey = capture(repo, { DC_GUARD_PSEUDONYM_KEY: 'secret' });
  t.equal(validateCommand(['--profile', 'sip-profiles/example-operator.yaml'], withKey.io), 0);
  t.strictSame(withKey.err, []);
});

t.test('invalid profiles: file:line: reason lines on stderr, exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-guard-validate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.yaml'), 'guard:\n  mode: on\n  fial: open\npeers: []\n');
  writeFileSync(join(dir, 'one.yaml'), 'peers:\n  - id: x\n    trusted: true\n');
  writeFileSync(join(dir, 'none.yaml'), 'peers: []\n');

  const bad = capture(dir);
  t.equal(validateCommand(['--profile', 'bad.yaml'], bad.io), 2);
  t.strictSame(bad.out, []);
  t.strictSame(bad.err, ['bad.yaml:2: guard.mode: must be one of enforce, monitor (got "on")', 'bad.yaml:3: guard: unknown key "fial" (did you mean "fail"?)']);

  const missing = capture(dir);
  t.equal(validateCommand(['--profile', 'nope.yaml'], missing.io), 2);
  t.strictSame(missing.err, ['nope.yaml: cannot read the profile (no such file)']);

  const directory = capture(dir);
  t.equal(validateCommand(['--profile', '.'], directory.io), 2);
  t.strictSame(directory.err, ['.: cannot read the profile (it is a directory)']);

  const one = capture(dir);
  t.equal(validateCommand(['--profile', 'one.yaml'], one.io), 0);
  t.strictSame(one.out, ['one.yaml: ok (1 peer: x (trusted))']);
  const none = capture(dir);
  t.equal(validateCommand(['--profile', 'none.yaml'], none.io), 0);
  t.strictSame(none.out, ['none.yaml: ok (0 peers)']);
});

t.test('bad arguments: usage on stderr, exit 2', async (t) => {
  const cases: [string[], string][] = [
    [[], 'dc-guard validate: missing --profile <file>'],
    [['--profile'], 'dc-guard validate: --profile needs a file'],
    [['--profile='], 'dc-guard validate: --profile needs a file'],
    [['--profile', '--verbose'], 'dc-guard validate: --profile needs a file'],
    [['--verbose', '--profile', 'x.yaml'], 'dc-guard validate: unknown option --verbose'],
    [['x.yaml'], 'dc-guard validate: unexpected argument "x.yaml"'],
    [['--profile', 'a.yaml', '--profile', 'b.yaml'], 'dc-guard validate: --profile given twice'],
  ];
  for (const [argv, first] of cases) {
    const run = capture(repo);
    t.equal(validateCommand(argv, run.io), 2, argv.join(' '));
    t.equal(run.err[0], first);
    t.equal(run.err[1], 'usage: dc-guard validate --profile <file>');
    t.strictSame(run.out, []);
  }
});

t.test('--help: usage on stdout, exit 0', async (t) => {
  const run = capture(repo);
  t.equal(validateCommand(['--help'], run.io), 0);
  t.equal(run.out[0], 'usage: dc-guard validate --profile <file>');
  t.strictSame(run.err, []);
});
