/**
 * The network-element paths of `npm run bench:sip`, beside `full` (one guard, calls in memory):
 * - `full-redis`: the same guard process with `state.store: redis` on a private redis-server
 *   (test/helpers/redis-server.ts), every call's state written through Redis;
 * - `kamailio-2`: two such guards sharing that Redis behind Kamailio running the shipped
 *   dispatcher recipe (docker/kamailio/dispatcher.cfg, via test/helpers/kamailio.ts): the AS's
 *   INVITEs go to Kamailio's AS side and are hashed by Call-ID over the two guards.
 * This module holds the profile every full-path guard runs and the pieces these paths start;
 * sip-load-bench.ts runs and reports them like the others.
 */
import { kamailioDispatcherMissing, startDispatcher, type RunningDispatcher } from '../test/helpers/kamailio.ts';
import { REDIS_SKIP } from '../test/helpers/redis-server.ts';

export { RedisServer } from '../test/helpers/redis-server.ts';

export const KAMAILIO_CORE = { ip: '127.0.0.60', port: 25100 };
export const KAMAILIO_AS = { ip: '127.0.0.61', port: 25100 };
export const POOL_GUARDS = [
  { ip: '127.0.0.62', port: 25100 },
  { ip: '127.0.0.63', port: 25100 },
] as const;

/** Why `full-redis` cannot run here, or null. */
export function redisPathMissing(): string | null {
  return REDIS_SKIP === false ? null : REDIS_SKIP;
}

/** Why `kamailio-2` cannot run here, or null. */
export function kamailioPathMissing(): string | null {
  return kamailioDispatcherMissing() ?? redisPathMissing();
}

export interface FullPathProfile {
  readonly sip: { readonly ip: string; readonly port: number };
  readonly uas: { readonly ip: string; readonly port: number };
  readonly as: { readonly ip: string; readonly port: number };
  /** `state.store: redis` at this URL; null: calls in memory. */
  readonly redisUrl: string | null;
  /** Behind the dispatcher: its core-side and AS-side addresses are the core and the AS. */
  readonly behindKamailio: boolean;
}

/** The profile of a full-path guard: an untrusted AS granted one app, the core trusted. */
export function fullPathProfile(p: FullPathProfile): string {
  const core = ['127.0.0.1/32', '127.0.0.2/32', ...(p.behindKamailio ? [`${KAMAILIO_CORE.ip}/32`] : [])];
  const as = [`${p.as.ip}/32`, ...(p.behindKamailio ? [`${KAMAILIO_AS.ip}/32`] : [])];
  return `
guard: { mode: enforce, on_unauthorized_dc: strip }
sip:
  listen: ["udp:${p.sip.ip}:${p.sip.port}"]
  next_hop: "sip:${p.uas.ip}:${p.uas.port}"
${p.redisUrl === null ? '' : `state: { store: redis, url: "${p.redisUrl}", key_prefix: "dcg-bench:" }\n`}peers:
  - { id: core, trusted: true, match: { source: ${JSON.stringify(core)} } }
  - id: weather-as
    trusted: false
    uri: "sip:${p.as.ip}:${p.as.port}"
    match: { source: ${JSON.stringify(as)} }
    identity: anonymous
    grants: { bootstrap: true, apps: ["com.example.weather"], max_channels: 8, max_bandwidth_kbps: 512, modify: own, terminate: true }
`;
}

/** Kamailio in front of POOL_GUARDS; resolves once its pings found every guard serving, from both sides. */
export async function startPoolDispatcher(): Promise<RunningDispatcher> {
  const dispatcher = await startDispatcher({
    coreListen: `udp:${KAMAILIO_CORE.ip}:${KAMAILIO_CORE.port}`,
    asListen: `udp:${KAMAILIO_AS.ip}:${KAMAILIO_AS.port}`,
    guards: POOL_GUARDS.map((g) => `sip:${g.ip}:${g.port}`),
  });
  if (!(await dispatcher.waitFor(/guard up: /, 30_000, POOL_GUARDS.length * 2))) {
    await dispatcher.stop();
    throw new Error(`Kamailio's pings did not find both guards serving:\n${dispatcher.output().slice(-3000)}`);
  }
  return dispatcher;
}
