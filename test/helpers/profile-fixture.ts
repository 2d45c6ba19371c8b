import { gamesAsYaml } from './lab-peers.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import type { Profile } from '../../src/profile/profile-types.ts';

/** A small lab profile: core trusted on 127.0.0.1-2, weather-as untrusted on 127.0.0.3, guard on 127.0.0.10. */
export function labProfileYaml(overrides: { guard?: string; weatherGrants?: string; consent?: string; identity?: string } = {}): string {
  return `
guard:
  mode: enforce
  on_unauthorized_dc: strip
  fail: closed
  unknown_peers: reject
${overrides.guard ?? ''}
sip:
  listen: ["udp:127.0.0.10:5060"]
  next_hop: "sip:127.0.0.2:5060"
peers:
  - id: core
    trusted: true
    match: { source: ["127.0.0.1/32", "127.0.0.2/32", "::1/128"] }
  - id: weather-as
    trusted: false
    uri: "sip:127.0.0.3:5060"
    match: { source: ["127.0.0.3/32"] }
    identity: ${overrides.identity ?? 'pseudonym'}
    grants:
${
  overrides.weatherGrants ??
  `      bootstrap: false
      apps: ["com.example.weather"]
      max_channels: 4
      max_bandwidth_kbps: 256
      modify: own
      terminate: false`
}
${gamesAsYaml(5060)}consent:
${overrides.consent ?? '  default: allow'}
`;
}

export function labProfile(overrides: Parameters<typeof labProfileYaml>[0] = {}): Profile {
  return parseProfile(labProfileYaml(overrides), 'lab.yaml');
}

export const PSEUDONYM_ENV = { DC_GUARD_PSEUDONYM_KEY: '00112233445566778899aabbccddeeff' };
