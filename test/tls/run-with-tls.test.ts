/**
 * `dc-guard run` with sip.tls: the files are read at start. A missing one stops the start
 * with the profile, the line and the key that names it (the example profile's /etc/dc-guard/tls/...
 * paths exist only on the operator's host, which `dc-guard validate` does not need); good
 * files start a TLS listener.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { makeTestPki } from './test-pki.ts';

const BIN = resolve(import.meta.dirname, '../../bin/dc-guard.js');
const EXAMPLE = resolve(import.meta.dirname, '../../sip-profiles/example-operator.yaml');
const ENV = { ...process.env, LOG_LEVEL: 'info', DC_GUARD_PSEUDONYM_KEY: '00112233445566778899aabbccddeeff' };

function run(args: readonly string[]): { child: ReturnType<typeof spawn>; out: { stdout: string; stderr: string }; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, out, exit };
}

t.test('the example profile validates, and run stops at its missing certificate naming profile and key', async (t) => {
  const validate = run(['validate', '--profile', EXAMPLE]);
  t.equal(await validate.exit, 0, `validate passes: ${validate.out.stderr}`);
  const started = run(['run', '--profile', EXAMPLE]);
  t.equal(await started.exit, 2, 'run exits 2');
  t.match(started.out.stderr, `${EXAMPLE}:42: sip.tls.certificate (/etc/dc-guard/tls/guard.pem): cannot read it (no such file)`, 'file:line of the key: reason');
});

t.test('run with good TLS files listens on its tls entry', async (t) => {
  const pki = makeTestPki();
  t.teardown(() => pki.remove());
  const file = join(pki.dir, 'guard.yaml');
  writeFileSync(
    file,
    `
sip:
  listen: ["udp:127.0.0.14:19160", "tls:127.0.0.14:19161"]
  tls: { certificate: guard.pem, key: guard.key, ca: [ca.pem] }
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32"] } }
`,
  );
  const started = run(['run', '--profile', file]);
  t.teardown(() => started.child.kill('SIGKILL'));
  const end = Date.now() + 15_000;
  while (!started.out.stdout.includes('guard started') && Date.now() < end && started.child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 50));
  }
  t.match(started.out.stdout, /"transport":"tls","address":"127\.0\.0\.14"|"address":"127\.0\.0\.14","port":19161,"transport":"tls"/, `listening on TLS (paths relative to the profile) ${started.out.stderr}`);
  started.child.kill('SIGTERM');
  t.equal(await started.exit, 0, 'SIGTERM: drained, exit 0');
});
