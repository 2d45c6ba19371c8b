/**
 * The pieces of TLS that need no socket: which peer a certificate makes a sender, the names
 * read out of a certificate, where a sips: URI goes, and what a bad sip.tls file says.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { main } from '../../src/cli/main.ts';
import { endpointForUri } from '../../src/front/embedded/endpoint-for-uri.ts';
import { requestOverTls } from '../../src/front/embedded/self-over-tls.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import { PeerDirectory } from '../../src/profile/peer-directory.ts';
import type { Peer } from '../../src/profile/profile-types.ts';
import { GuardSelf } from '../../src/routing/guard-self.ts';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { parseUri } from '../../src/sip/sip-uri.ts';
import { loadTlsMaterial, TlsSettingsError } from '../../src/transport/tls-context.ts';
import type { TlsSettings } from '../../src/transport/tls-context.ts';
import { certificateNames } from '../../src/transport/tls-identity.ts';
import { PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';
import { makeTestPki } from './test-pki.ts';

function peer(id: string, sources: string[], certificateSans: string[] = []): Peer {
  return {
    id,
    trusted: false,
    uri: null,
    sources,
    certificateSans,
    identity: 'pseudonym',
    grants: { bootstrap: false, apps: [], maxChannels: null, maxBandwidthKbps: null, modify: 'none', terminate: false, capabilities: false },
    limits: { requestsPerSecond: null, burst: null, concurrentCalls: null },
  };
}

t.test('PeerDirectory.bySource: certificate first, both when both are configured, never address alone for a certificate peer', async (t) => {
  const peers = new PeerDirectory([
    peer('core', ['10.0.0.0/8']),
    peer('cert-only', [], ['as1.test', 'sip:as1.test']),
    peer('both', ['10.1.0.0/16'], ['as2.test']),
  ]);
  t.equal(peers.bySource({ address: '192.0.2.7', tlsNames: ['as1.test'] })?.id, 'cert-only', 'any address with its certificate');
  t.equal(peers.bySource({ address: '192.0.2.7', tlsNames: ['AS1.TEST'] })?.id, 'cert-only', 'DNS names compare case-insensitively');
  t.equal(peers.bySource({ address: '192.0.2.7', tlsNames: ['sip:as1.test'] })?.id, 'cert-only', 'a URI SAN');
  t.equal(peers.bySource({ address: '10.1.2.3', tlsNames: ['as2.test'] })?.id, 'both', 'address and certificate');
  t.equal(peers.bySource({ address: '10.1.2.3' }), undefined, "its address without a certificate: nobody (not even the core's /8)");
  t.equal(peers.bySource({ address: '10.1.2.3', tlsNames: ['other.test'] }), undefined, 'its address with a certificate for another name: nobody');
  t.equal(peers.bySource({ address: '192.0.2.7', tlsNames: ['as2.test'] }), undefined, 'its certificate from outside its sources: nobody');
  t.equal(peers.bySource({ address: '10.9.9.9' })?.id, 'core', 'address peers keep matching by address');
  t.equal(peers.bySource({ address: '10.9.9.9', tlsNames: ['as1.test'] })?.id, 'cert-only', "a certificate outranks the address range it comes from");
  t.equal(peers.bySource({ address: '10.9.9.9', tlsNames: ['unknown.test'] })?.id, 'core', 'a certificate naming no peer leaves the address to decide');
  t.equal(peers.byAddress('10.1.2.3')?.id, 'both', 'byAddress still says whose range it is (for destinations)');
});

t.test('certificateNames: DNS and URI SANs, quoted values, nothing else', async (t) => {
  t.strictSame(certificateNames('DNS:As1.Test, URI:sip:as1.test, IP Address:127.0.0.1, email:a@b'), ['as1.test', 'sip:as1.test']);
  t.strictSame(certificateNames('DNS:"a,b.test", DNS:c.test'), ['a,b.test', 'c.test']);
  t.strictSame(certificateNames(undefined), []);
  t.strictSame(certificateNames(''), []);
});

t.test('endpointForUri: sips: and transport=tls go over TLS to 5061 and carry the name to verify', async (t) => {
  const resolve = (host: string): Promise<string> => (host === 'as1.test' ? Promise.resolve('192.0.2.5') : Promise.reject(new Error('no')));
  t.strictSame(await endpointForUri('sips:as1.test', 'udp', resolve), { address: '192.0.2.5', port: 5061, transport: 'tls', serverName: 'as1.test' });
  t.strictSame(await endpointForUri('sip:as1.test:5071;transport=tls', 'udp', resolve), { address: '192.0.2.5', port: 5071, transport: 'tls', serverName: 'as1.test' });
  t.strictSame(await endpointForUri('sips:[2001:db8::5]', 'udp', resolve), { address: '2001:db8::5', port: 5061, transport: 'tls', serverName: '2001:db8::5' });
  t.strictSame(await endpointForUri('sip:192.0.2.9', 'tcp', resolve), { address: '192.0.2.9', port: 5060, transport: 'tcp' }, 'sip: without transport: the fallback, as before');
  t.equal(await endpointForUri('sips:nowhere.test', 'udp', resolve), null, 'an unresolvable name: nowhere');
});

t.test('loadTlsMaterial names the key and file of what is wrong', async (t) => {
  const pki = makeTestPki();
  t.teardown(() => pki.remove());
  const good: TlsSettings = { certificateFile: pki.guard.cert, keyFile: pki.guard.key, caFiles: [pki.ca], minVersion: 'TLSv1.2', requireClientCertificate: true };
  t.ok(loadTlsMaterial(good).server.requestCert, 'good files load, asking clients for a certificate');
  const failure = (settings: TlsSettings): string => {
    try {
      loadTlsMaterial(settings);
    } catch (error) {
      t.type(error, TlsSettingsError);
      return (error as Error).message;
    }
    return 'no error';
  };
  t.match(failure({ ...good, certificateFile: '/nonexistent/guard.pem' }), /^sip\.tls\.certificate \(\/nonexistent\/guard\.pem\): cannot read it \(no such file\)/);
  t.match(failure({ ...good, keyFile: pki.as1.key }), /^sip\.tls\.key .*not the key of sip\.tls\.certificate/);
  const junk = join(pki.dir, 'junk.pem');
  writeFileSync(junk, 'hello\n');
  t.match(failure({ ...good, caFiles: [pki.ca, junk] }), /^sip\.tls\.ca\[1\] .*not a PEM file/);
  const keyAsCert = join(pki.dir, 'key-as-cert.pem');
  copyFileSync(pki.guard.key, keyAsCert);
  t.match(failure({ ...good, certificateFile: keyAsCert }), /^sip\.tls\.certificate .*not a certificate/);
  t.match(failure({ ...good, caFiles: [] }), /^sip\.tls\.ca .*no CA/);
  t.match(failure({ ...good }), /no error/, 'and the good set still loads');
  const later = new Date(Date.now() + 10 * 86_400_000);
  t.throws(() => loadTlsMaterial(good, later), /expired on/, 'an expired certificate');
  if (process.getuid?.() !== 0) {
    const unreadable = join(pki.dir, 'unreadable.key');
    copyFileSync(pki.guard.key, unreadable);
    chmodSync(unreadable, 0o000);
    t.match(failure({ ...good, keyFile: unreadable }), /permission denied/);
  }
});

t.test('a peer matched by certificate with a cleartext uri is a profile error on its line', async (t) => {
  const yaml = `
sip:
  listen: ["tls:127.0.0.1:5061"]
  tls: { certificate: "/x/guard.pem", key: "/x/guard.key", ca: ["/x/ca.pem"] }
peers:
  - id: as1
    trusted: false
    uri: "sip:as1.test:5060"
    match: { certificate: { san: ["as1.test"] } }
`;
  t.throws(() => parseProfile(yaml, 'p.yaml'), /p\.yaml:8: peers\[0\]\.uri: a peer matched by certificate is reached over TLS only/);
  t.doesNotThrow(() => parseProfile(yaml.replace('sip:as1.test:5060', 'sips:as1.test'), 'p.yaml'), 'sips: is fine, and the files are not read by the loader');
});

t.test('dc-guard check plays a certificate peer as arriving over TLS with its certificate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-check-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const profile = join(dir, 'profile.yaml');
  writeFileSync(
    profile,
    `
guard: { unknown_peers: reject }
sip:
  listen: ["udp:127.0.0.10:5060", "tls:127.0.0.10:5061"]
  next_hop: "sip:127.0.0.2:5060"
  tls: { certificate: "/x/guard.pem", key: "/x/guard.key", ca: ["/x/ca.pem"] }
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.2/32"] } }
  - id: as1
    trusted: false
    uri: "sips:as1.test"
    match: { certificate: { san: ["as1.test"] } }
    grants: { apps: ["com.example.weather"] }
`,
  );
  const options = join(dir, 'options.sip');
  writeFileSync(
    options,
    'OPTIONS sip:ims.example.net SIP/2.0\nVia: SIP/2.0/TLS as1.test;branch=z9hG4bK-o\nFrom: <sip:x@as1.test>;tag=1\nTo: <sip:ims.example.net>\nCall-ID: check-tls\nCSeq: 1 OPTIONS\nMax-Forwards: 0\n\n',
  );
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (l) => out.push(l), stderr: (l) => err.push(l), env: PSEUDONYM_ENV, cwd: process.cwd() };
  t.equal(await main(['check', '--profile', profile, `as1=${options}`], io), 0, err.join('\n'));
  t.match(JSON.parse(out[0] ?? '{}'), { from: 'as1', status: 483 }, 'as1, not an unknown sender (403)');
});

t.test('requestOverTls rewrites only what the guard wrote about itself, sips: Contact for a sips: Request-URI', async (t) => {
  const profile = parseProfile(
    `
sip:
  listen: ["udp:127.0.0.10:5060", "tls:127.0.0.10:5061"]
  public_uri: "sip:guard.test:5060"
  tls: { certificate: "/x/guard.pem", key: "/x/guard.key", ca: ["/x/ca.pem"] }
peers: []
`,
    'p.yaml',
  );
  const self = new GuardSelf(profile);
  t.strictSame(self.tls, { host: 'guard.test', port: 5061, uri: 'sip:guard.test:5061' }, 'the public host with the TLS port');
  t.ok(self.owns(parseUri('sip:guard.test:5061;transport=tls;lr') ?? fail()), 'and it owns that address (a route token coming back over TLS)');
  t.ok(self.owns(parseUri('sips:guard.test;lr') ?? fail()), 'sips: defaults to 5061');
  const req: SipRequest = {
    kind: 'request',
    method: 'INVITE',
    uri: 'sips:+15550002222@ims.example.net',
    headers: [
      { name: 'Via', value: self.via('z9hG4bK-1') },
      { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-core' },
      { name: 'Route', value: '<sips:as1.test;lr>' },
      { name: 'Route', value: self.routeEntry({ dcg: 'tok' }) },
      { name: 'Contact', value: self.contact() },
    ],
    body: '',
  };
  requestOverTls(req, self);
  t.strictSame(
    req.headers.map((h) => h.value),
    [
      'SIP/2.0/TLS guard.test:5061;branch=z9hG4bK-1;rport;alias',
      'SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-core',
      '<sips:as1.test;lr>',
      '<sip:guard.test:5061;transport=tls;lr;dcg=tok>',
      '<sips:guard.test:5061>',
    ],
  );
  // The feature tags the guard copied onto its Contact stay on it over TLS; a look-alike Contact is not the guard's.
  const tagged: SipRequest = { ...req, uri: 'sip:+15550002222@ims.example.net', headers: [
    { name: 'Via', value: self.via('z9hG4bK-2') },
    { name: 'Contact', value: self.contact(';+sip.app-subtype="webrtc-datachannel";video') },
    { name: 'Contact', value: `${self.contact()}x` },
  ] };
  requestOverTls(tagged, self);
  t.strictSame(tagged.headers.slice(1).map((h) => h.value), ['<sip:guard.test:5061;transport=tls>;+sip.app-subtype="webrtc-datachannel";video', '<sip:guard.test:5060>x']);
});

function fail(): never {
  throw new Error('unparsable URI');
}

t.test('TlsSettingsError carries the key as a profile path', async (t) => {
  t.strictSame(new TlsSettingsError('sip.tls.ca[1]', '/x', 'r').path, ['sip', 'tls', 'ca', 1]);
  t.strictSame(new TlsSettingsError('sip.tls.key', '/x', 'r').path, ['sip', 'tls', 'key']);
});
