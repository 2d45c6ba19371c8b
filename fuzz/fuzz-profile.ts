/**
 * The profile every fuzz level runs under: the core on 127.0.0.1 (caller) and 127.0.0.2 (callee,
 * the next hop), weather-as untrusted on 127.0.0.3 with a narrow grant, the guard on `guardIp`.
 * 127.0.0.9 matches no peer. No rate limits: the fuzzer must reach the call logic, not the limiter.
 */
import { parseProfile } from '../src/profile/load-profile.ts';
import type { Profile } from '../src/profile/profile-types.ts';
import { wireProfile } from '../test/helpers/guard-harness.ts';

export const ADDRESSES = {
  caller: '127.0.0.1',
  callee: '127.0.0.2',
  as: '127.0.0.3',
  unknown: '127.0.0.9',
} as const;

export { PSEUDONYM_ENV } from '../test/helpers/profile-fixture.ts';

export interface FuzzPorts {
  readonly guardIp: string;
  readonly guard: number;
  readonly callee: number;
  readonly as: number;
}

/** The wire tests' lab profile (test/helpers/guard-harness.ts), so the fuzzer attacks the guard the tests describe. */
export function fuzzProfile(ports: FuzzPorts): Profile {
  return parseProfile(wireProfile({ guardIp: ports.guardIp, port: ports.guard, calleePort: ports.callee, asPort: ports.as }), 'fuzz-profile.yaml');
}
