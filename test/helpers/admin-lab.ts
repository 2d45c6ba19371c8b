/**
 * A real embedded guard with its admin listener, in this process: the guard on 127.0.0.10, the
 * core's caller on 127.0.0.1 and callee on 127.0.0.2, weather-as on 127.0.0.3 (scripted UDP
 * peers), the profile in a temporary file so POST /reload reads it like SIGHUP does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { startAdmin, type AdminListener, type ReloadResult } from '../../src/admin/admin-server.ts';
import { buildController } from '../../src/call/build-controller.ts';
import { EmbeddedGuard } from '../../src/front/embedded/embedded-guard.ts';
import { callsByState } from '../../src/metrics/call-states.ts';
import { GuardMetrics } from '../../src/metrics/guard-metrics.ts';
import { loadProfile } from '../../src/profile/load-profile.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import type { ConsentStore } from '../../src/state/consent-store.ts';
import { MemoryCallStore } from '../../src/state/memory-call-store.ts';
import { MemoryConsentStore } from '../../src/state/memory-consent-store.ts';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { memoryLogger } from './guard-harness.ts';
import { PSEUDONYM_ENV } from './profile-fixture.ts';
import { offer, WEATHER } from './sdp-builder.ts';
import { dialogRequest, SipPeer } from './sip-peer.ts';

export const GUARD_IP = '127.0.0.10';
export const TOKEN = 's3cret-admin-token';
export const TOKEN_ENV = 'DCG_TEST_ADMIN_TOKEN';
/** The callee of every lab call; the profile has a consent record for it that allows weather-as. */
export const CALLEE = 'tel:+15550002222';

export function labYaml(port: number, extra = ''): string {
  return `
guard:
  mode: enforce
  on_unauthorized_dc: strip
  unknown_peers: reject
sip:
  listen: ["udp:${GUARD_IP}:${port}"]
  next_hop: "sip:127.0.0.2:${port + 2}"
peers:
  - id: core
    trusted: true
    match: { source: ["127.0.0.1/32", "127.0.0.2/32"] }
  - id: weather-as
    trusted: false
    uri: "sip:127.0.0.3:${port + 3}"
    match: { source: ["127.0.0.3/32"] }
    identity: pseudonym
    grants: { bootstrap: false, apps: ["com.example.weather"], max_channels: 4, max_bandwidth_kbps: 256, modify: own, terminate: false }
    limits: { requests_per_second: 1, burst: 3 }
consent:
  default: allow
  users:
    "${CALLEE}": { allow: ["weather-as"] }
${extra}
`;
}

export interface Lab {
  readonly guard: EmbeddedGuard;
  readonly admin: AdminListener;
  readonly metrics: GuardMetrics;
  readonly calls: MemoryCallStore;
  readonly caller: SipPeer;
  readonly callee: SipPeer;
  readonly as: SipPeer;
  readonly to: { address: string; port: number };
  readonly logs: Record<string, unknown>[];
  readonly file: string;
  /** Makes readiness see the call store as down (or up again). */
  storeDown(down: boolean): void;
  /** Admin HTTP request; `token` null sends no Authorization. */
  http(method: string, path: string, opts?: { token?: string | null; body?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; text: string; json: Record<string, unknown> }>;
  /** weather-as opens a call to CALLEE with the weather DC; the INVITE as the callee got it, answered 486 so the call ends. */
  asCall(callId: string): Promise<SipRequest>;
}

export interface LabOptions {
  readonly port: number;
  readonly consent?: ConsentStore;
  /** The token variable's value; null: unset. */
  readonly token?: string | null;
}

export async function startLab(t: Test, options: LabOptions): Promise<Lab> {
  const { port } = options;
  const dir = mkdtempSync(join(tmpdir(), 'dcg-admin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'profile.yaml');
  writeFileSync(file, labYaml(port));
  let profile: Profile = loadProfile(file);
  const { logger, logs } = memoryLogger();
  const calls = new MemoryCallStore();
  const consent = options.consent ?? new MemoryConsentStore();
  const metrics = new GuardMetrics({ countCalls: () => callsByState(calls.all()), defaultMetrics: false });
  const controllerFor = (p: Profile) => buildController(p, { env: PSEUDONYM_ENV, store: calls, consent: consent.overlay });
  const guard = await EmbeddedGuard.start({ profile, controller: controllerFor(profile), logger, observer: metrics });
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => (stopped ??= guard.stop(1_000));
  t.teardown(stop);
  let down = false;
  const reload = (): ReloadResult => {
    try {
      const next = loadProfile(file);
      guard.replaceController(controllerFor(next), next);
      profile = next;
      return { ok: true };
    } catch (error) {
      return { ok: false, errors: (error as Error).message.split('\n') };
    }
  };
  const admin = await startAdmin({
    settings: { host: '127.0.0.1', port: 0, tokenEnv: TOKEN_ENV },
    env: options.token === null ? {} : { [TOKEN_ENV]: options.token ?? TOKEN },
    logger,
    metrics,
    isDraining: () => guard.draining,
    storeReachable: () => !down,
    reload,
    drain: () => void stop(),
    consent,
    profile: () => profile,
  });
  t.teardown(() => admin.close());
  const peers = await Promise.all([SipPeer.start('127.0.0.1', port + 1), SipPeer.start('127.0.0.2', port + 2), SipPeer.start('127.0.0.3', port + 3)]);
  t.teardown(() => peers.forEach((peer) => peer.close()));
  const [caller, callee, as] = peers;
  const to = { address: GUARD_IP, port };
  const base = `http://127.0.0.1:${admin.address.port}`;
  return {
    guard,
    admin,
    metrics,
    calls,
    caller,
    callee,
    as,
    to,
    logs,
    file,
    storeDown: (value) => {
      down = value;
    },
    async http(method, path, opts = {}) {
      const token = opts.token === undefined ? TOKEN : opts.token;
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...(opts.headers ?? {}) },
        ...(opts.body === undefined ? {} : { body: opts.body }),
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // /metrics is text
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    async asCall(callId) {
      as.send(dialogRequest(as, { uri: `sip:+15550002222@ims.example.net`, to: CALLEE, callId, body: offer({ channels: [WEATHER] }) }), to);
      const atCallee = await callee.next<SipRequest>((m) => m.kind === 'request' && m.method === 'INVITE' && (getHeader(m, 'Call-ID') ?? '') !== '' && m.body.length > 0);
      callee.reply(atCallee, 486, 'Busy Here', { toTag: `busy-${callId}` });
      await as.nextResponse(486, 'INVITE');
      return atCallee;
    },
  };
}

/** True when the weather channel reached the callee (consent let it through). */
export function weatherPassed(invite: SipRequest): boolean {
  return invite.body.includes('a=3gpp-req-app:com.example.weather');
}
