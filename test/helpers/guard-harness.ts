import { Writable } from 'node:stream';
import { buildController } from '../../src/call/build-controller.ts';
import { EmbeddedGuard } from '../../src/front/embedded/embedded-guard.ts';
import { createLogger, type Logger } from '../../src/log/logger.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import { MemoryCallStore } from '../../src/state/memory-call-store.ts';
import type { GuardClock } from './flow-suite.ts';
import { corePeerYaml, weatherAsYaml } from './lab-peers.ts';
import { PSEUDONYM_ENV } from './profile-fixture.ts';

export interface RunningGuard {
  readonly guard: EmbeddedGuard;
  readonly profile: Profile;
  readonly store: MemoryCallStore;
  /** Every JSON log line the guard wrote. */
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** A debug-level logger whose JSON lines are collected in `logs`. */
export function memoryLogger(): { logger: Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        }
      }
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: sink }), logs };
}

/** Starts the embedded guard in this process on the profile's listen addresses, logging into memory. */
export async function startGuard(profileYaml: string, clock?: GuardClock): Promise<RunningGuard> {
  const profile = parseProfile(profileYaml, 'test-profile.yaml');
  const { logger, logs } = memoryLogger();
  const store = new MemoryCallStore({ freeze: true });
  const guard = await EmbeddedGuard.start({
    profile,
    controller: buildController(profile, { env: PSEUDONYM_ENV, store, ...(clock === undefined ? {} : { now: clock.now }) }),
    logger,
    ...(clock === undefined ? {} : { sweepIntervalMs: clock.sweepIntervalMs }),
  });
  return { guard, profile, store, logs, stop: () => guard.stop(1_000) };
}

/**
 * The lab profile for wire tests: the guard on `guardIp:port` (UDP and TCP), the core on
 * 127.0.0.1 (caller) and 127.0.0.2 (callee), weather-as on 127.0.0.3.
 */
export function wireProfile(opts: {
  guardIp: string;
  port: number;
  calleePort: number;
  asPort?: number;
  onUnauthorizedDc?: 'strip' | 'reject';
  calleeTransport?: 'udp' | 'tcp';
}): string {
  return `
guard:
  mode: enforce
  on_unauthorized_dc: ${opts.onUnauthorizedDc ?? 'strip'}
  unknown_peers: reject
sip:
  listen: ["udp:${opts.guardIp}:${opts.port}", "tcp:${opts.guardIp}:${opts.port}"]
  next_hop: "sip:127.0.0.2:${opts.calleePort}${opts.calleeTransport === 'tcp' ? ';transport=tcp' : ''}"
peers:
${corePeerYaml()}${weatherAsYaml(opts.asPort ?? 5060)}`;
}
