/**
 * The connection caps hold for TLS before the handshake: a stranger that opens TCP connections to
 * a TLS listener and never starts TLS takes a slot per connection from the moment of accept, so it
 * cannot hold more than the caps allow (the handshake timeout alone would let it hold thousands).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { loadTlsMaterial } from '../../src/transport/tls-context.ts';
import { RawTcp, TestTransport } from '../transport/fixtures/loopback-peers.ts';
import { makeTestPki } from './test-pki.ts';

t.test('a TLS listener closes the raw connection past the per-source cap at once, before any handshake', async (t) => {
  const pki = makeTestPki();
  const material = loadTlsMaterial({ certificateFile: pki.guard.cert, keyFile: pki.guard.key, caFiles: [pki.ca], minVersion: 'TLSv1.2', requireClientCertificate: true });
  const guard = await TestTransport.start({ listen: [{ transport: 'tls', host: '127.0.0.1', port: 0 }], tls: material, maxConnectionsPerSource: 2, maxConnections: 100 });
  t.teardown(() => guard.transport.close());
  const end = guard.transport.localEndpoints[0];
  if (end === undefined) {
    throw new Error('not bound');
  }
  const held = [await RawTcp.connect(end.port, end.address, '127.0.0.7'), await RawTcp.connect(end.port, end.address, '127.0.0.7')];
  const third = await RawTcp.connect(end.port, end.address, '127.0.0.7');
  t.teardown(() => [...held, third].forEach((c) => c.destroy()));
  await third.closed();
  t.pass('the third silent connection from one source is closed before any handshake');
  t.ok(
    guard.errors.some((e) => e.kind.startsWith('connection-cap') || e.detail.includes('closed before its handshake')),
    'and counted as a drop',
  );

  // Another source still gets a handshake; a freed slot is free again.
  // tls.connect takes socket.connect() options (localAddress) too; its types do not list them.
  const options: tls.ConnectionOptions & { localAddress: string } = {
    host: end.address,
    port: end.port,
    localAddress: '127.0.0.8',
    ca: [readFileSync(pki.ca)],
    cert: readFileSync(pki.as1.cert),
    key: readFileSync(pki.as1.key),
    servername: 'guard.test',
  };
  const other = tls.connect(options);
  await new Promise<void>((resolve, reject) => {
    other.once('secureConnect', resolve);
    other.once('error', reject);
  });
  t.ok(other.authorized, 'a client from another address completes its handshake');
  other.destroy();
  held[0]?.destroy();
  await held[0]?.closed();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const again = await RawTcp.connect(end.port, end.address, '127.0.0.7');
  t.teardown(() => again.destroy());
  const stillOpen = await Promise.race([again.closed().then(() => false, () => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 300))]);
  t.ok(stillOpen, 'once one of the source\'s connections is gone, it may open another');
});
