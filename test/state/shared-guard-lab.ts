/**
 * Guards sharing one Redis, in this test process, on their own loopback addresses, as behind a
 * dispatcher that sends any message of a call to any of them: every instance names itself by
 * the dispatcher's address (`sip.public_uri`, SERVICE here, where nothing listens), and the test
 * sends each message to the instance it picks, responses to the instance whose request they
 * answer. Scripted peers: core caller 127.0.0.1, core callee 127.0.0.2, weather-as 127.0.0.3,
 * games-as 127.0.0.4.
 */
import type { Test } from 'tap';
import { buildController } from '../../src/call/build-controller.ts';
import { PeerLimiter } from '../../src/call/peer-limiter.ts';
import { EmbeddedGuard } from '../../src/front/embedded/embedded-guard.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import { openState, type OpenedState } from '../../src/state/open-state.ts';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { memoryLogger } from '../helpers/guard-harness.ts';
import { PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';
import type { inDialog} from '../helpers/sip-peer.ts';
import { addrUri, SipPeer } from '../helpers/sip-peer.ts';

/** The dispatcher's address every instance writes in Via, Contact and its Route entries. */
export const SERVICE = '127.0.0.20';

export interface SharedGuard {
  readonly ip: string;
  readonly port: number;
  readonly to: { readonly address: string; readonly port: number };
  readonly state: OpenedState;
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface LabOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly port: number;
  readonly calleePort: number;
  readonly asPort: number;
  readonly gamesPort?: number;
  readonly fail?: 'closed' | 'open';
  /** Extra YAML under weather-as (e.g. limits). */
  readonly weatherExtra?: string;
  readonly gamesExtra?: string;
}

export function sharedProfile(ip: string, o: LabOptions, publicUri: string | null = `sip:${SERVICE}:${o.port}`): string {
  return `
guard:
  mode: enforce
  on_unauthorized_dc: strip
  fail: ${o.fail ?? 'closed'}
  unknown_peers: reject
sip:
  listen: ["udp:${ip}:${o.port}"]
${publicUri === null ? '' : `  public_uri: "${publicUri}"`}
  next_hop: "sip:127.0.0.2:${o.calleePort}"
state:
  store: redis
  url: "${o.redisUrl}"
  key_prefix: "${o.keyPrefix}"
  command_timeout_ms: 300
peers:
  - id: core
    trusted: true
    match: { source: ["127.0.0.1/32", "127.0.0.2/32"] }
  - id: weather-as
    trusted: false
    uri: "sip:127.0.0.3:${o.asPort}"
    match: { source: ["127.0.0.3/32"] }
    identity: pseudonym
    grants:
      bootstrap: false
      apps: ["com.example.weather"]
      max_channels: 4
      max_bandwidth_kbps: 256
      modify: own
      terminate: false
${o.weatherExtra ?? ''}
  - id: games-as
    trusted: false
    uri: "sip:127.0.0.4:${o.gamesPort ?? o.asPort + 1}"
    match: { source: ["127.0.0.4/32"] }
    identity: anonymous
    grants:
      apps: ["*"]
      modify: any
      terminate: true
${o.gamesExtra ?? ''}
`;
}

/** One guard on `ip` with its own connection to the lab's Redis, as a separate instance would have. */
export async function startSharedGuard(t: Test, ip: string, o: LabOptions): Promise<SharedGuard> {
  const profile = parseProfile(sharedProfile(ip, o), `${ip}.yaml`);
  const state = await openState(profile.state, { env: PSEUDONYM_ENV, localBuckets: new PeerLimiter(Date.now) });
  const { logger, logs } = memoryLogger();
  const guard = await EmbeddedGuard.start({
    profile,
    controller: buildController(profile, { env: PSEUDONYM_ENV, store: state.store, limiter: state.limiter }),
    logger,
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      await guard.stop(500);
      await state.close();
    }
  };
  t.teardown(stop);
  return { ip, port: o.port, to: { address: ip, port: o.port }, state, logs, stop };
}

export async function startPeers(t: Test, o: LabOptions): Promise<{ caller: SipPeer; callee: SipPeer; as: SipPeer; games: SipPeer }> {
  const [caller, callee, as, games] = await Promise.all([
    SipPeer.start('127.0.0.1', o.port + 1),
    SipPeer.start('127.0.0.2', o.calleePort),
    SipPeer.start('127.0.0.3', o.asPort),
    SipPeer.start('127.0.0.4', o.gamesPort ?? o.asPort + 1),
  ]);
  t.teardown(() => [caller, callee, as, games].forEach((p) => p.close()));
  return { caller, callee, as, games };
}

export type Dialog = Parameters<typeof inDialog>[1];

/** The dialog of the UAS that answered `req` with To tag `tag`. */
export function answererDialog(req: SipRequest, tag: string): Dialog {
  return {
    callId: getHeader(req, 'Call-ID') ?? '',
    localUri: `${getHeader(req, 'To') ?? ''};tag=${tag}`,
    remoteUri: getHeader(req, 'From') ?? '',
    remoteTarget: addrUri(getHeader(req, 'Contact')),
  };
}

/** The dialog a 2xx set up, as the UAC that sent the INVITE sees it. */
export function callerDialog(ok: SipResponse): Dialog {
  return {
    callId: getHeader(ok, 'Call-ID') ?? '',
    localUri: getHeader(ok, 'From') ?? '',
    remoteUri: getHeader(ok, 'To') ?? '',
    remoteTarget: addrUri(getHeader(ok, 'Contact')),
  };
}

/** `peer` answers `req` to the instance that sent it (what a dispatcher does by the Via it added). */
export function answer(peer: SipPeer, req: SipRequest, guard: Pick<SharedGuard, 'to'>, status: number, reason: string, opts: Parameters<SipPeer['response']>[3] = {}): void {
  peer.send(peer.response(req, status, reason, opts), guard.to);
}

/** The decision lines with reason `code`. */
export function decisionsWith(logs: readonly Record<string, unknown>[], code: string): Record<string, unknown>[] {
  return logs.filter((l) => l.msg === 'decision' && JSON.stringify(l.reasons ?? []).includes(`"${code}"`));
}
