import t from 'tap';
import { formatIp, parseCidr, parseIpAddress, unmapIpv4 } from '../../src/profile/cidr.ts';
import { PeerDirectory } from '../../src/profile/peer-directory.ts';
import type { Peer } from '../../src/profile/profile-types.ts';

function peer(id: string, sources: string[], trusted = false): Peer {
  return {
    id,
    trusted,
    uri: null,
    sources,
    certificateSans: [],
    identity: trusted ? 'pass' : 'pseudonym',
    grants: { bootstrap: false, apps: [], maxChannels: null, maxBandwidthKbps: null, modify: 'none', terminate: false, capabilities: false },
    limits: { requestsPerSecond: null, burst: null, concurrentCalls: null },
  };
}

const idOf = (found: Peer | undefined): string | undefined => found?.id;

t.test('parseIpAddress reads IPv4, IPv6 in every spelling, brackets and zone ids', async (t) => {
  t.strictSame(parseIpAddress('127.0.0.3'), { family: 4, value: 0x7f000003n });
  t.strictSame(parseIpAddress('::1'), { family: 6, value: 1n });
  t.strictSame(parseIpAddress('[::1]'), { family: 6, value: 1n });
  t.strictSame(parseIpAddress('fe80::1%eth0'), { family: 6, value: (0xfe80n << 112n) | 1n });
  t.strictSame(parseIpAddress('2001:db8::'), { family: 6, value: 0x20010db8n << 96n });
  t.strictSame(parseIpAddress('2001:DB8:0:0:0:0:0:1'), parseIpAddress('2001:db8::1'));
  t.strictSame(parseIpAddress('::ffff:127.0.0.3'), { family: 6, value: (0xffffn << 32n) | 0x7f000003n });
  t.strictSame(parseIpAddress('::ffff:7f00:3'), parseIpAddress('::ffff:127.0.0.3'));
  t.strictSame(parseIpAddress('1:2:3:4:5:6:1.2.3.4'), { family: 6, value: 0x0001000200030004000500060102_0304n });
  for (const bad of ['', '127.0.0', '01.2.3.4', '::g', 'localhost', '1.2.3.4/32']) {
    t.equal(parseIpAddress(bad), undefined, bad);
  }
});

t.test('unmapIpv4 and formatIp', async (t) => {
  const mapped = parseIpAddress('::ffff:192.0.2.1');
  t.strictSame(mapped && unmapIpv4(mapped), { family: 4, value: 0xc0000201n });
  t.equal(formatIp({ family: 6, value: 0n }), '::');
  t.equal(formatIp({ family: 6, value: 1n }), '::1');
  t.equal(formatIp({ family: 6, value: 0x20010db8_0000_0001_0000_0000_0000_0001n }), '2001:db8:0:1::1');
  t.equal(formatIp({ family: 6, value: 0x20010db8_0000_0000_0001_0000_0000_0001n }), '2001:db8::1:0:0:1');
  t.equal(formatIp({ family: 6, value: 0x20010db8_0001_0001_0001_0001_0001_0000n }), '2001:db8:1:1:1:1:1:0');
  t.equal(formatIp({ family: 4, value: 0xc0000201n }), '192.0.2.1');
});

t.test('parseCidr', async (t) => {
  const ok = parseCidr('10.0.0.0/8');
  t.ok(ok.ok);
  t.equal(ok.ok && ok.cidr.text, '10.0.0.0/8');
  const v6 = parseCidr('2001:DB8:0::/32');
  t.equal(v6.ok && v6.cidr.text, '2001:db8::/32');
  t.equal(parseCidr('0.0.0.0/0').ok, true);
  t.equal(parseCidr('::/0').ok, true);
  const reasons = ['10.0.0/8', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/33', 'fe80::%eth0/64', '10.0.0.0/8/8', '[::1]/128'].map((text) => {
    const result = parseCidr(text);
    return result.ok ? 'ok' : result.reason;
  });
  t.strictSame(reasons, [
    'not a CIDR: "10.0.0/8"',
    'not a CIDR: "10.0.0.0/" (the prefix length must be 0-32)',
    'not a CIDR: "10.0.0.0/08" (the prefix length must be 0-32)',
    'not a CIDR: "10.0.0.0/33" (the prefix length must be 0-32)',
    'not a CIDR: "fe80::%eth0/64"',
    'not a CIDR: "10.0.0.0/8/8" (the prefix length must be 0-32)',
    'not a CIDR: "[::1]/128"',
  ]);
});

t.test('PeerDirectory: longest prefix wins, ties go to the peer listed first', async (t) => {
  const directory = new PeerDirectory([
    peer('wide', ['10.0.0.0/8']),
    peer('narrow', ['10.1.0.0/16']),
    peer('host', ['10.1.2.3/32']),
    peer('tie-first', ['192.0.2.0/24']),
    peer('tie-second', ['198.51.100.0/24', '192.0.2.0/24']),
    peer('everything', ['0.0.0.0/0']),
  ]);
  t.equal(idOf(directory.byAddress('10.9.9.9')), 'wide');
  t.equal(idOf(directory.byAddress('10.1.9.9')), 'narrow');
  t.equal(idOf(directory.byAddress('10.1.2.3')), 'host');
  t.equal(idOf(directory.byAddress('10.1.2.4')), 'narrow');
  t.equal(idOf(directory.byAddress('192.0.2.77')), 'tie-first');
  t.equal(idOf(directory.byAddress('198.51.100.1')), 'tie-second');
  t.equal(idOf(directory.byAddress('203.0.113.1')), 'everything');
  // An IPv4 default route does not match IPv6 senders.
  t.equal(directory.byAddress('2001:db8::1'), undefined);
});

t.test('PeerDirectory: IPv6 and IPv4-mapped addresses', async (t) => {
  const directory = new PeerDirectory([
    peer('core', ['127.0.0.1/32', '::1/128'], true),
    peer('as-v4', ['127.0.0.3/32']),
    peer('as-v6', ['2001:db8:20::/64']),
    peer('as-v6-host', ['2001:db8:20::5/128']),
  ]);
  t.equal(idOf(directory.byAddress('::1')), 'core');
  t.equal(idOf(directory.byAddress('[::1]')), 'core');
  t.equal(idOf(directory.byAddress('0:0:0:0:0:0:0:1')), 'core');
  t.equal(idOf(directory.byAddress('127.0.0.1')), 'core');
  t.equal(idOf(directory.byAddress('::ffff:127.0.0.3')), 'as-v4');
  t.equal(idOf(directory.byAddress('::FFFF:7f00:3')), 'as-v4');
  t.equal(idOf(directory.byAddress('::ffff:127.0.0.1')), 'core');
  t.equal(idOf(directory.byAddress('2001:db8:20::7')), 'as-v6');
  t.equal(idOf(directory.byAddress('2001:db8:20:0:ffff:ffff:ffff:ffff')), 'as-v6');
  t.equal(idOf(directory.byAddress('2001:db8:20::5')), 'as-v6-host');
  t.equal(idOf(directory.byAddress('fe80::1%eth0')), undefined);
  t.equal(directory.byAddress('2001:db8:21::1'), undefined);
  t.equal(directory.byAddress('127.0.0.2'), undefined);
});

t.test('PeerDirectory: byId, unknown and non-IP input', async (t) => {
  const a = peer('a', ['192.0.2.1/32']);
  const directory = new PeerDirectory([a]);
  t.equal(directory.byId('a'), a);
  t.equal(directory.byId('b'), undefined);
  t.equal(directory.byAddress('ims.example.net'), undefined);
  t.equal(directory.byAddress(''), undefined);
  t.equal(directory.byAddress('192.0.2.1:5060'), undefined);
  t.equal(new PeerDirectory([]).byAddress('192.0.2.1'), undefined);
});

t.test('PeerDirectory: answers stay right past the cache limit, repeated answers are the same object', async (t) => {
  const a = peer('a', ['10.0.0.0/16']);
  const directory = new PeerDirectory([a, peer('b', ['10.1.0.0/16'])]);
  const total = PeerDirectory.CACHE_LIMIT + 500;
  let wrong = 0;
  for (let round = 0; round < 2; round += 1) {
    for (let i = 0; i < total; i += 1) {
      const address = `10.${i % 3}.${(i >> 8) & 255}.${i & 255}`;
      const expected = i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : undefined;
      if (idOf(directory.byAddress(address)) !== expected) {
        wrong += 1;
      }
    }
  }
  t.equal(wrong, 0);
  t.equal(directory.byAddress('10.0.0.1'), a);
  t.equal(directory.byAddress('10.0.0.1'), a);
});

t.test('PeerDirectory refuses what the loader would refuse', async (t) => {
  t.throws(() => new PeerDirectory([peer('a', ['10.0.0/8'])]), { message: 'PeerDirectory: peer "a": not a CIDR: "10.0.0/8"' });
  t.throws(() => new PeerDirectory([peer('a', []), peer('a', [])]), { message: 'PeerDirectory: duplicate peer id "a"' });
});
