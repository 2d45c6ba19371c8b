/**
 * Certificates for the TLS tests, made at test time with the openssl command line into a
 * temporary folder (never committed): a CA the guard trusts, the guard's certificate, two
 * AS certificates with different DNS names, and an impostor certificate for as1.test from a
 * CA the guard does not trust.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  /** The CA the guard trusts (sip.tls.ca). */
  readonly ca: string;
  /** A CA nobody configured. */
  readonly rogueCa: string;
  /** DNS:guard.test, IP:127.0.0.10. */
  readonly guard: KeyPair;
  /** DNS:as1.test, from the trusted CA. */
  readonly as1: KeyPair;
  /** DNS:as2.test, from the trusted CA. */
  readonly as2: KeyPair;
  /** DNS:as1.test, from the rogue CA: an impostor. */
  readonly impostor: KeyPair;
  remove(): void;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

function makeLeaf(dir: string, name: string, ca: string, sans: string): KeyPair {
  writeFileSync(
    join(dir, `${name}.ext`),
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${sans}\n`,
  );
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`],
    dir,
  );
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** Makes the whole set; `remove()` deletes the folder. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'rogue-ca');
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    rogueCa: join(dir, 'rogue-ca.pem'),
    guard: makeLeaf(dir, 'guard', 'ca', 'DNS:guard.test,IP:127.0.0.10'),
    as1: makeLeaf(dir, 'as1', 'ca', 'DNS:as1.test'),
    as2: makeLeaf(dir, 'as2', 'ca', 'DNS:as2.test'),
    impostor: makeLeaf(dir, 'impostor', 'rogue-ca', 'DNS:as1.test'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
