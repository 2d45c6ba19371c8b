/**
 * The guard's TLS listener against a client nobody here wrote: `openssl s_client`. It checks
 * the guard's certificate against the CA and the name guard.test, presents (or not) a client
 * certificate, and sends a MESSAGE with Max-Forwards: 0 (not an OPTIONS: one with no hop left
 * is a probe the guard answers itself, src/front/self-probe.ts). The guard answers it 483 only to
 * a peer it recognised (an unknown sender gets 403 first), so a 483 proves both the mutual
 * handshake and that the certificate made the sender as1. Refused handshakes get no SIP at all.
 */
import { spawn } from 'node:child_process';
import t from 'tap';
import type { Test } from 'tap';
import { startTlsGuard } from './tls-lab.ts';
import type { TlsGuard, TlsLabOptions } from './tls-lab.ts';
import { makeTestPki } from './test-pki.ts';
import type { KeyPair } from './test-pki.ts';

const pki = makeTestPki();
t.teardown(() => pki.remove());

let nextPort = 38_000;

async function guardFor(tt: Test, opts: TlsLabOptions = {}): Promise<TlsGuard> {
  const base = nextPort;
  nextPort += 10;
  const guard = await startTlsGuard(pki, { guard: base, callee: base + 2, as: base + 3 }, opts);
  tt.teardown(() => guard.stop());
  return guard;
}

const OPTIONS = [
  'MESSAGE sip:ims.example.net SIP/2.0',
  'Via: SIP/2.0/TLS as1.test:5061;branch=z9hG4bK-s-client-1',
  'Max-Forwards: 0',
  'From: <sip:as1@as1.test>;tag=s1',
  'To: <sip:ims.example.net>',
  'Call-ID: s-client-1',
  'CSeq: 1 MESSAGE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

interface ClientRun {
  readonly stdout: string;
  /** The status line of the SIP answer the client read, or null. */
  readonly sipStatus: number | null;
}

/** Runs s_client against the guard until a SIP answer arrives, it exits, or 5 s pass. */
function sClient(guard: TlsGuard, pair: KeyPair | null, extra: readonly string[] = []): Promise<ClientRun> {
  const args = [
    's_client',
    '-connect', `${guard.tls.address}:${guard.tls.port}`,
    '-CAfile', pki.ca,
    '-verify_return_error',
    '-verify_hostname', 'guard.test',
    '-ign_eof',
    ...(pair === null ? [] : ['-cert', pair.cert, '-key', pair.key]),
    ...extra,
  ];
  return new Promise((resolve) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let done = false;
    const finish = (): void => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      child.kill();
      const m = /SIP\/2\.0 (\d{3})/.exec(stdout);
      resolve({ stdout, sipStatus: m === null ? null : Number(m[1]) });
    };
    const timer = setTimeout(finish, 5_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (/SIP\/2\.0 \d{3}/.test(stdout)) {
        finish();
      }
    });
    child.stderr.on('data', () => undefined);
    child.on('exit', finish);
    child.stdin.on('error', () => undefined);
    child.stdin.write(OPTIONS);
  });
}

t.test('s_client with a certificate from the CA: mutual handshake, and the guard takes it as as1', async (tt) => {
  const guard = await guardFor(tt);
  const run = await sClient(guard, pki.as1);
  tt.match(run.stdout, /Verify return code: 0 \(ok\)/, "s_client verified the guard's certificate for guard.test");
  tt.equal(run.sipStatus, 483, 'a SIP answer over TLS, and the one only a recognised peer gets');
});

t.test('s_client without a client certificate is refused in the handshake', async (tt) => {
  const guard = await guardFor(tt);
  const run = await sClient(guard, null);
  tt.equal(run.sipStatus, null, 'no SIP answer');
  tt.ok(guard.logs.some((l) => l.kind === 'tls-refused'), 'the guard reports the refused handshake');
});

t.test('s_client with a certificate from another CA is refused in the handshake', async (tt) => {
  const guard = await guardFor(tt);
  const run = await sClient(guard, pki.impostor);
  tt.equal(run.sipStatus, null, 'no SIP answer');
  tt.ok(guard.logs.some((l) => l.kind === 'tls-refused'), 'the guard reports the refused handshake');
});

t.test('below min_version is refused: TLS 1.2 against a TLS 1.3-only guard', async (tt) => {
  const guard = await guardFor(tt, { minVersion: 'TLSv1.3' });
  const run = await sClient(guard, pki.as1, ['-tls1_2']);
  tt.equal(run.sipStatus, null, 'no SIP answer over TLS 1.2');
  const ok = await sClient(guard, pki.as1, ['-tls1_3']);
  tt.equal(ok.sipStatus, 483, 'and the same client over TLS 1.3 gets through');
});

t.test('without require_client_certificate a client without one gets in, as nobody in particular', async (tt) => {
  const guard = await guardFor(tt, { requireClientCertificate: false });
  const run = await sClient(guard, null);
  tt.equal(run.sipStatus, 403, 'handshake done, but no certificate makes it no peer: 403 (unknown_peers: reject)');
  const known = await sClient(guard, pki.as1);
  tt.equal(known.sipStatus, 483, 'with its certificate it is as1');
});
