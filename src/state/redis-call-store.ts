/**
 * Call state in Redis, shared by every guard instance on it (keys: redis-scripts.ts). Every
 * write is one Lua script, compare-and-set on the call's version; keys expire with their call
 * (EARLY_IDLE_MS until a dialog is confirmed, CONFIRMED_IDLE_MS after), the TTL refreshed by
 * each write, so a call a dead instance left behind goes by itself.
 *
 * While Redis cannot be reached (`reachable()` false) the store works on its local copy of the
 * calls this instance wrote or read (local-call-copy.ts) and the controller tells each step the
 * store is down (`guard.fail` decides). When Redis answers again, what was changed meanwhile is
 * written back (unless another instance wrote a newer version) before Redis is used again.
 */
import { CONFIRMED_IDLE_MS, EARLY_IDLE_MS, idleLimitOf, livePeersOf } from './call-lifetime.ts';
import type { CallState } from './call-state.ts';
import type { CallStore, IndexedLeg, LegAddress } from './call-store.ts';
import { LocalCallCopy } from './local-call-copy.ts';
import type { RedisCommands } from './redis-connection.ts';
import { DELETE_CALL, INDEX_LEG, LIVE_CALLS, LOCATE_LEG, PUT_CALL } from './redis-scripts.ts';
import { StoreUnavailableError } from './store-unavailable-error.ts';

export interface RedisCallStoreOptions {
  readonly keyPrefix: string;
  /** How long calls live without a write (tests shorten them). */
  readonly idleMs?: { readonly early: number; readonly confirmed: number };
  /** Calls held in the local copy. */
  readonly localCopy?: number;
  /** How often to try Redis again after a failure while its connection stays up. */
  readonly retryMs?: number;
  readonly now?: () => number;
  /** Told once each time the store leaves Redis (false) and once it is back on it (true): for the log. */
  readonly onReachability?: (reachable: boolean) => void;
}

const DEFAULT_LOCAL_COPY = 10_000;
const WRITE_BACK_ROUNDS = 3;

export class RedisCallStore implements CallStore {
  readonly shared = true as const;
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #idle: { readonly early: number; readonly confirmed: number };
  readonly #local: LocalCallCopy;
  readonly #retryMs: number;
  readonly #now: () => number;
  /** A command failed, or the connection dropped: on the local copy until a write-back succeeds. */
  #away = false;
  #recovering: Promise<void> | null = null;
  readonly #onReachability: (reachable: boolean) => void;
  /** The last write-back round: local writes are refused (retransmitted later) so that it is the last. */
  #frozen = false;
  #retry: NodeJS.Timeout | null = null;

  constructor(redis: RedisCommands, options: RedisCallStoreOptions) {
    this.#redis = redis;
    this.#prefix = options.keyPrefix;
    this.#idle = options.idleMs ?? { early: EARLY_IDLE_MS, confirmed: CONFIRMED_IDLE_MS };
    this.#local = new LocalCallCopy(options.localCopy ?? DEFAULT_LOCAL_COPY);
    this.#retryMs = options.retryMs ?? 500;
    this.#now = options.now ?? Date.now;
    this.#onReachability = options.onReachability ?? (() => undefined);
    redis.client.on('ready', () => void this.#recover());
    // A dropped connection is the store gone even before a command fails on it (the log says so once).
    redis.client.on('reconnecting', () => this.#goAway());
  }

  reachable(): boolean {
    return !this.#away && this.#redis.client.isReady;
  }

  async get(id: string): Promise<CallState | undefined> {
    if (!this.#useRedis()) {
      return this.#local.get(id);
    }
    const json = await this.#call(() => this.#redis.send('get', ['HGET', this.#callKey(id), 'j']));
    if (typeof json !== 'string') {
      return undefined;
    }
    const call = JSON.parse(json) as CallState;
    this.#local.remember(call);
    return call;
  }

  async put(call: CallState, index: readonly IndexedLeg[] = []): Promise<boolean> {
    if (!this.#useRedis()) {
      this.#refuseWhileFrozen('put');
      return this.#local.put(call, index);
    }
    const written = await this.#call(() => this.#write(call, index, String(call.version - 1)));
    if (written) {
      this.#local.remember(call, index);
    }
    return written;
  }

  async delete(id: string): Promise<void> {
    if (!this.#useRedis()) {
      this.#refuseWhileFrozen('delete');
      this.#local.forget(id, true);
      return;
    }
    await this.#call(() => this.#delete(id));
    this.#local.forget(id, false);
  }

  async index(key: string, leg: LegAddress): Promise<void> {
    if (!this.#useRedis()) {
      this.#local.rememberLeg({ key, leg });
      return;
    }
    const id = leg.callStateId;
    await this.#call(() =>
      this.#redis.eval('index', INDEX_LEG, [this.#callKey(id), this.#key('legs:', id), this.#key('idx:', key)], [JSON.stringify(leg), String(this.#idle.early)]),
    );
    this.#local.rememberLeg({ key, leg });
  }

  async lookup(key: string): Promise<LegAddress | undefined> {
    if (!this.#useRedis()) {
      return this.#local.lookup(key);
    }
    const json = await this.#call(() => this.#redis.send('lookup', ['GET', this.#key('idx:', key)]));
    if (typeof json !== 'string') {
      return undefined;
    }
    const leg = JSON.parse(json) as LegAddress;
    this.#local.rememberLeg({ key, leg });
    return leg;
  }

  async locate(key: string): Promise<{ readonly leg: LegAddress; readonly call: CallState | undefined } | undefined> {
    if (!this.#useRedis()) {
      const leg = this.#local.lookup(key);
      return leg === undefined ? undefined : { leg, call: this.#local.get(leg.callStateId) };
    }
    const found = await this.#call(() => this.#redis.eval('locate', LOCATE_LEG, [this.#key('idx:', key)], [this.#key('call:', '')]));
    if (!Array.isArray(found) || typeof found[0] !== 'string') {
      return undefined;
    }
    const leg = JSON.parse(found[0]) as LegAddress;
    this.#local.rememberLeg({ key, leg });
    if (typeof found[1] !== 'string') {
      return { leg, call: undefined };
    }
    const call = JSON.parse(found[1]) as CallState;
    this.#local.remember(call);
    return { leg, call };
  }

  async liveCallsOf(peerId: string): Promise<number> {
    return (await this.liveCallsOfPeers([peerId])).get(peerId) ?? 0;
  }

  async liveCallsOfPeers(peerIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const ids = [...new Set(peerIds)];
    if (ids.length === 0) {
      return new Map();
    }
    if (!this.#useRedis()) {
      return new Map(ids.map((id) => [id, this.#local.liveCallsOf(id)]));
    }
    const counts = await this.#call(() => this.#redis.eval('live', LIVE_CALLS, ids.map((id) => this.#key('live:', id)), []));
    const list = Array.isArray(counts) ? counts : [];
    return new Map(ids.map((id, i) => [id, Number(list[i] ?? 0)]));
  }

  /** Redis expires calls by their TTL; only the local copy needs sweeping. */
  expire(): Promise<number> {
    this.#local.expire(this.#now(), this.#idle);
    return Promise.resolve(0);
  }

  /** The calls this instance holds a copy of: the ones it last wrote or read (metrics). */
  localCalls(): IterableIterator<CallState> {
    return this.#local.calls();
  }

  /** Calls in the local copy (tests, metrics). */
  get localSize(): number {
    return this.#local.size;
  }

  async close(): Promise<void> {
    if (this.#retry !== null) {
      clearTimeout(this.#retry);
    }
    const client = this.#redis.client;
    if (client.isReady) {
      await client.close();
    } else if (client.isOpen) {
      // Reconnecting: nothing to wait for.
      client.destroy();
    }
  }

  #useRedis(): boolean {
    if (this.reachable()) {
      return true;
    }
    this.#goAway();
    return false;
  }

  /** A command that failed leaves Redis until it answers again; the error goes to the controller, which redoes its step. */
  async #call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.#goAway();
      throw error;
    }
  }

  #goAway(): void {
    if (!this.#away) {
      this.#onReachability(false);
    }
    this.#away = true;
    if (this.#retry === null && this.#recovering === null) {
      this.#retry = setTimeout(() => {
        this.#retry = null;
        void this.#recover();
      }, this.#retryMs);
      this.#retry.unref();
    }
  }

  /** Writes back what changed while Redis was away; Redis is used again only once that is done. */
  #recover(): Promise<void> {
    if (!this.#away) {
      return Promise.resolve();
    }
    this.#recovering ??= this.#writeBack().then(
      () => {
        this.#away = false;
        this.#recovering = null;
        this.#onReachability(true);
      },
      () => {
        this.#recovering = null;
        this.#goAway();
      },
    );
    return this.#recovering;
  }

  #refuseWhileFrozen(op: string): void {
    if (this.#frozen) {
      throw new StoreUnavailableError(op, 'finishing the write-back to Redis');
    }
  }

  async #writeBack(): Promise<void> {
    await this.#redis.send('ping', ['PING']);
    try {
      await this.#writeBackRounds();
      // Back on Redis in the same turn the local copy thaws: no local write can fall in between.
      this.#away = false;
    } finally {
      this.#frozen = false;
    }
  }

  async #writeBackRounds(): Promise<void> {
    // Messages go on meanwhile (on the local copy): a call they change is written in the next
    // round. The last round refuses them, so a peer that keeps changing its own call cannot keep
    // this instance (and everybody's calls) off Redis.
    for (let round = 0; ; round += 1) {
      this.#frozen = round >= WRITE_BACK_ROUNDS - 1;
      const changed = this.#local.changed();
      const ended = this.#local.ended();
      if (changed.length === 0 && ended.length === 0) {
        return;
      }
      for (const { call, index, base } of changed) {
        // Only over the version this instance last saw in Redis: a call another instance changed or ended since is theirs.
        this.#local.writtenBack(call.id, call.version, await this.#write(call, index, `*${base}`));
      }
      for (const id of ended) {
        await this.#delete(id);
        this.#local.deletedBack(id);
      }
      if (this.#frozen) {
        return;
      }
    }
  }

  async #write(call: CallState, index: readonly IndexedLeg[], expected: string): Promise<boolean> {
    const keys = [this.#callKey(call.id), this.#key('legs:', call.id), this.#key('peers:', call.id), ...index.map((e) => this.#key('idx:', e.key))];
    const args = [
      expected,
      String(call.version),
      JSON.stringify(call),
      String(idleLimitOf(call, this.#idle)),
      `${this.#prefix}live:`,
      call.id,
      String(index.length),
      ...index.map((e) => JSON.stringify(e.leg)),
      ...livePeersOf(call),
    ];
    return (await this.#redis.eval('put', PUT_CALL, keys, args)) === 1;
  }

  async #delete(id: string): Promise<void> {
    await this.#redis.eval('delete', DELETE_CALL, [this.#callKey(id), this.#key('legs:', id), this.#key('peers:', id)], [`${this.#prefix}live:`, id, String(this.#idle.confirmed)]);
  }

  #callKey(id: string): string {
    return this.#key('call:', id);
  }

  #key(kind: string, name: string): string {
    return `${this.#prefix}${kind}${name}`;
  }
}
