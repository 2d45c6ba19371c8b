import { resolve } from 'node:path';
import t from 'tap';
import { loadProfile } from '../../src/profile/load-profile.ts';

// The profile shape the policy-core issue requires to work exactly as written, comments and all.
t.test('the issue\'s profile shape loads as written, with every value where the guard reads it', async (t) => {
  const profile = loadProfile(resolve(import.meta.dirname, 'fixtures/issue-2-shape.yaml'));
  t.same(profile.guard, { mode: 'enforce', onUnauthorizedDc: 'strip', fail: 'closed', unknownPeers: 'reject', initiatorHeader: 'P-DC-Initiator' });
  t.same(profile.sip.listen, [
    { transport: 'udp', host: '127.0.0.1', port: 5060 },
    { transport: 'tcp', host: '127.0.0.1', port: 5060 },
  ]);
  t.equal(profile.sip.nextHop, 'sip:127.0.0.1:5080');
  t.equal(profile.privacy.pseudonymKeyEnv, 'DC_GUARD_PSEUDONYM_KEY');
  const weather = profile.peers.find((p) => p.id === 'weather-as');
  t.match(weather, {
    trusted: false,
    uri: 'sip:127.0.0.3:5060',
    sources: ['127.0.0.3/32'],
    identity: 'pseudonym',
    grants: { bootstrap: false, apps: ['com.example.weather'], maxChannels: 4, maxBandwidthKbps: 256, modify: 'own', terminate: false, capabilities: false },
    limits: { requestsPerSecond: 50, burst: 100, concurrentCalls: 1000 },
  });
  t.match(profile.peers.find((p) => p.id === 'core'), { trusted: true, identity: 'pass', sources: ['127.0.0.1/32', '::1/128'] });
  t.same(profile.consent.users['tel:+15550001111'], { allow: [], deny: ['weather-as'] });
  t.same(profile.consent.users['sip:alice@ims.example.net'], { allow: ['weather-as:com.example.weather'], deny: [] });
  t.equal(profile.consent.default, 'allow');
});
