/**
 * The TLS lab: the embedded guard on 127.0.0.10 (UDP and TLS), the core on 127.0.0.3
 * (caller) and 127.0.0.2 (callee, the next hop), and two untrusted ASes:
 * - as1: known by its certificate only (DNS:as1.test), reached at sips:as1.test (127.0.0.5);
 * - as2: known by its certificate (DNS:as2.test) and its address 127.0.0.6, both required,
 *   reached at sips:as2.test (127.0.0.6).
 * Both may open com.example.weather data channels and nothing else. 127.0.0.1 (where a client
 * that cannot pick its source address, like openssl s_client, comes from) is nobody.
 */
import { buildController } from '../../src/call/build-controller.ts';
import { EmbeddedGuard } from '../../src/front/embedded/embedded-guard.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import { MemoryCallStore } from '../../src/state/memory-call-store.ts';
import { memoryLogger } from '../helpers/guard-harness.ts';
import { PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';
import type { TestPki } from './test-pki.ts';

export const GUARD_IP = '127.0.0.10';
export const AS1_IP = '127.0.0.5';
export const AS2_IP = '127.0.0.6';

export interface TlsLabPorts {
  /** The guard's UDP port; its TLS port is the next one. */
  readonly guard: number;
  readonly callee: number;
  /** Where as1 and as2 take TLS (their uris). */
  readonly as: number;
}

export interface TlsLabOptions {
  readonly requireClientCertificate?: boolean;
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export function tlsProfileYaml(pki: TestPki, ports: TlsLabPorts, opts: TlsLabOptions = {}): string {
  return `
guard:
  mode: enforce
  on_unauthorized_dc: strip
  unknown_peers: reject
sip:
  listen: ["udp:${GUARD_IP}:${ports.guard}", "tls:${GUARD_IP}:${ports.guard + 1}"]
  next_hop: "sip:127.0.0.2:${ports.callee}"
  tls:
    certificate: "${pki.guard.cert}"
    key: "${pki.guard.key}"
    ca: ["${pki.ca}"]
    min_version: ${opts.minVersion ?? 'TLSv1.2'}
    require_client_certificate: ${opts.requireClientCertificate ?? true}
peers:
  - id: core
    trusted: true
    match: { source: ["127.0.0.3/32", "127.0.0.2/32"] }
  - id: as1
    trusted: false
    uri: "sips:as1.test:${ports.as}"
    match: { certificate: { san: ["as1.test"] } }
    identity: pseudonym
    grants: { bootstrap: false, apps: ["com.example.weather"], max_channels: 4 }
  - id: as2
    trusted: false
    uri: "sips:as2.test:${ports.as}"
    match: { source: ["${AS2_IP}/32"], certificate: { san: ["as2.test"] } }
    identity: pseudonym
    grants: { bootstrap: false, apps: ["com.example.weather"], max_channels: 4 }
`;
}

const NAMES: Readonly<Record<string, string>> = { 'as1.test': AS1_IP, 'as2.test': AS2_IP };

export interface TlsGuard {
  readonly guard: EmbeddedGuard;
  readonly logs: Record<string, unknown>[];
  readonly tls: { readonly address: string; readonly port: number };
  readonly udp: { readonly address: string; readonly port: number };
  stop(): Promise<void>;
}

export async function startTlsGuard(pki: TestPki, ports: TlsLabPorts, opts: TlsLabOptions = {}): Promise<TlsGuard> {
  const profile = parseProfile(tlsProfileYaml(pki, ports, opts), 'tls-test-profile.yaml');
  const { logger, logs } = memoryLogger();
  const guard = await EmbeddedGuard.start({
    profile,
    controller: buildController(profile, { env: PSEUDONYM_ENV, store: new MemoryCallStore({ freeze: true }) }),
    logger,
    resolveHost: (host) => {
      const address = NAMES[host];
      return address === undefined ? Promise.reject(new Error(`no such host ${host}`)) : Promise.resolve(address);
    },
  });
  return {
    guard,
    logs,
    udp: { address: GUARD_IP, port: ports.guard },
    tls: { address: GUARD_IP, port: ports.guard + 1 },
    stop: () => guard.stop(500),
  };
}

/** The guard's decision log lines. */
export function decisionsOf(logs: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return logs.filter((l) => l.msg === 'decision');
}
