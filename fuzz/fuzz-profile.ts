/**
 * The profile every fuzz level runs under: the core on 127.0.0.1 (caller) and 127.0.0.2 (callee,
 * the next hop), weather-as untrusted on 127.0.0.3 with a narrow grant, the guard on `guardIp`.
 * 127.0.0.9 matches no peer. No rate limits: the fuzzer must reach the call logic, not the limiter.
 */
import { parseProfile } from '../src/profile/load-profile.ts';
import type { Profile } from '../src/profile/profile-types.ts';

export const ADDRESSES = {
  caller: '127.0.0.1',
  callee: '127.0.0.2',
  as: '127.0.0.3',
  unknown: '127.0.0.9',
} as const;

export const PSEUDONYM_ENV = { DC_GUARD_PSEUDONYM_KEY: '00112233445566778899aabbccddeeff' };

export interface FuzzPorts {
  readonly guardIp: string;
  readonly guard: number;
  readonly callee: number;
  readonly as: number;
}

export function fuzzProfile(ports: FuzzPorts): Profile {
  const yaml = `
guard:
  mode: enforce
  on_unauthorized_dc: strip
  fail: closed
  unknown_peers: reject
sip:
  listen: ["udp:${ports.guardIp}:${ports.guard}", "tcp:${ports.guardIp}:${ports.guard}"]
  next_hop: "sip:${ADDRESSES.callee}:${ports.callee}"
peers:
  - id: core
    trusted: true
    match: { source: ["${ADDRESSES.caller}/32", "${ADDRESSES.callee}/32"] }
  - id: weather-as
    trusted: false
    uri: "sip:${ADDRESSES.as}:${ports.as}"
    match: { source: ["${ADDRESSES.as}/32"] }
    identity: pseudonym
    grants:
      bootstrap: false
      apps: ["com.example.weather"]
      max_channels: 4
      max_bandwidth_kbps: 256
      modify: own
      terminate: false
consent:
  default: allow
`;
  return parseProfile(yaml, 'fuzz-profile.yaml');
}
