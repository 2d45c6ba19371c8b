/**
 * API consent records in Redis (`state.store: redis`), shared by every guard on it.
 *
 * Keys: the hash `<prefix>consent` (field: normalised identity, value: the record as JSON) and
 * the counter `<prefix>consent:version`; channel `<prefix>consent`. Every write is one Lua
 * script (atomic): INCR the version, HSET/HDEL the field, PUBLISH `<version> <change>` on the
 * channel. Each instance keeps the whole hash in memory (the verdict engine looks it up
 * synchronously): its own writes are in force there when `put`/`delete` settle, another
 * instance's as soon as the published change arrives (one pub/sub hop, before that instance
 * decides its next request in practice). A change is applied only when it is newer than what
 * the instance holds for that user; a gap in the versions (a message lost while the subscriber
 * was reconnecting), a reconnect and a periodic timer each reload the whole hash.
 */
import type { ConsentRecord } from '../profile/profile-types.ts';
import { ConsentRecords, type ConsentStore } from './consent-store.ts';

/** What the store needs of a node-redis v5 client (`createClient()`); a duplicate subscribes. */
export interface ConsentRedisClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  duplicate(): ConsentRedisSubscriber;
}

export interface ConsentRedisSubscriber {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  on(event: 'ready' | 'error', listener: (...args: unknown[]) => void): unknown;
  /** Ends the connection at once (nothing to flush: it only listens). */
  destroy(): void;
}

export interface RedisConsentStoreOptions {
  readonly client: ConsentRedisClient;
  readonly keyPrefix: string;
  /** A write not confirmed in this time is refused (the API answers 503); default 1 s (`state.command_timeout_ms` fits). */
  readonly commandTimeoutMs?: number;
  /** Full reload period as a safety net; default 60 s. */
  readonly resyncIntervalMs?: number;
  /** A reload or a subscriber failure (the records in memory stay in force). */
  readonly onError?: (error: unknown) => void;
}

const WRITE = `
local v = redis.call('INCR', KEYS[2])
local n
if ARGV[2] == '' then n = redis.call('HDEL', KEYS[1], ARGV[1]) else n = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('PUBLISH', ARGV[3], v .. ' ' .. ARGV[4])
return {v, n}`;

const SNAPSHOT = `return {redis.call('GET', KEYS[2]) or '0', redis.call('HGETALL', KEYS[1])}`;

export class RedisConsentStore implements ConsentStore {
  readonly overlay = new ConsentRecords();
  readonly #client: ConsentRedisClient;
  readonly #subscriber: ConsentRedisSubscriber;
  readonly #hash: string;
  readonly #versionKey: string;
  readonly #channel: string;
  readonly #onError: (error: unknown) => void;
  readonly #timeoutMs: number;
  /** Version of the change last applied per user (deletions too, so a late older PUT cannot bring a record back). */
  readonly #versions = new Map<string, number>();
  /** Changes at or below the last full reload's version are already in it. */
  #floor = 0;
  /** Highest version seen on the channel or loaded: the next one must be this + 1, else something was missed (-1: nothing loaded yet). */
  #seen = -1;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #reloading: Promise<void> | null = null;

  private constructor(options: RedisConsentStoreOptions) {
    this.#client = options.client;
    this.#subscriber = options.client.duplicate();
    this.#hash = `${options.keyPrefix}consent`;
    this.#versionKey = `${options.keyPrefix}consent:version`;
    this.#channel = `${options.keyPrefix}consent`;
    this.#onError = options.onError ?? (() => undefined);
    this.#timeoutMs = options.commandTimeoutMs ?? 1_000;
  }

  /** Subscribes, then loads the hash: records written meanwhile are in the load or in a message. */
  static async open(options: RedisConsentStoreOptions): Promise<RedisConsentStore> {
    const store = new RedisConsentStore(options);
    await store.#start(options);
    return store;
  }

  /**
   * The store at once, its records loaded when Redis answers: a guard started while Redis is
   * away serves on the profile's records (API writes answer 503) and takes the API's as soon as
   * Redis is back, with no restart.
   */
  static connecting(options: RedisConsentStoreOptions): RedisConsentStore {
    const store = new RedisConsentStore(options);
    store.#start(options).catch((error: unknown) => store.#onError(error));
    return store;
  }

  async #start(options: RedisConsentStoreOptions): Promise<void> {
    this.#subscriber.on('error', (error) => this.#onError(error));
    await this.#subscriber.connect();
    await this.#subscriber.subscribe(this.#channel, (message) => this.#onMessage(message));
    await this.#reload();
    if (this.#closed) {
      return;
    }
    // Every reconnect after the first: messages sent while it was away are lost (pub/sub is at most once).
    this.#subscriber.on('ready', () => this.#reloadInBackground());
    this.#timer = setInterval(() => this.#reloadInBackground(), options.resyncIntervalMs ?? 60_000);
    this.#timer.unref();
  }

  get(user: string): ConsentRecord | undefined {
    return this.overlay.record(user);
  }

  async put(user: string, record: ConsentRecord): Promise<void> {
    const plain: ConsentRecord = { allow: [...record.allow], deny: [...record.deny], ...(record.appsOnly === undefined ? {} : { appsOnly: [...record.appsOnly] }) };
    const version = await this.#write(user, JSON.stringify(plain), plain);
    this.#apply(user, plain, version.version);
  }

  async delete(user: string): Promise<boolean> {
    const existed = this.overlay.record(user) !== undefined;
    const result = await this.#write(user, '', null);
    this.#apply(user, null, result.version);
    return result.changed || existed;
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
    this.#subscriber.destroy();
    return Promise.resolve();
  }

  async #write(user: string, value: string, record: ConsentRecord | null): Promise<{ version: number; changed: boolean }> {
    const reply = await withTimeout(
      this.#client.eval(WRITE, {
        keys: [this.#hash, this.#versionKey],
        arguments: [user, value, this.#channel, JSON.stringify({ u: user, r: record })],
      }),
      this.#timeoutMs,
    );
    const [version, changed] = Array.isArray(reply) ? (reply as unknown[]) : [];
    return { version: Number(version), changed: Number(changed) === 1 };
  }

  #onMessage(message: string): void {
    const space = message.indexOf(' ');
    const version = Number(message.slice(0, space));
    const change = parseChange(message.slice(space + 1));
    if (space < 0 || !Number.isSafeInteger(version) || change === null) {
      this.#reloadInBackground();
      return;
    }
    if (this.#seen >= 0 && version > this.#seen + 1) {
      this.#reloadInBackground();
    }
    this.#seen = Math.max(this.#seen, version);
    this.#apply(change.user, change.record, version);
  }

  /** One change, unless what this instance holds for the user is as new or newer. */
  #apply(user: string, record: ConsentRecord | null, version: number): void {
    if (version <= this.#floor || version <= (this.#versions.get(user) ?? 0)) {
      return;
    }
    this.#versions.set(user, version);
    if (record === null) {
      this.overlay.remove(user);
    } else {
      this.overlay.set(user, record);
    }
  }

  #reloadInBackground(): void {
    this.#reload().catch((error: unknown) => this.#onError(error));
  }

  /** The whole hash and its version in one atomic read; changes newer than it that arrived meanwhile stay. */
  #reload(): Promise<void> {
    this.#reloading ??= (async () => {
      try {
        const reply = await this.#client.eval(SNAPSHOT, { keys: [this.#hash, this.#versionKey], arguments: [] });
        const [versionText, flat] = Array.isArray(reply) ? (reply as unknown[]) : [];
        const version = Number(versionText);
        if (!Number.isSafeInteger(version) || !Array.isArray(flat)) {
          throw new Error('consent snapshot: unexpected reply from Redis');
        }
        const snapshot = new Map<string, ConsentRecord>();
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const record = parseRecord(String(flat[i + 1]));
          if (record !== null) {
            snapshot.set(String(flat[i]), record);
          }
        }
        this.#replaceWith(snapshot, version);
      } finally {
        this.#reloading = null;
      }
    })();
    return this.#reloading;
  }

  #replaceWith(snapshot: ReadonlyMap<string, ConsentRecord>, version: number): void {
    for (const user of [...this.overlay.users()]) {
      if (!snapshot.has(user) && (this.#versions.get(user) ?? 0) <= version) {
        this.overlay.remove(user);
      }
    }
    for (const [user, record] of snapshot) {
      if ((this.#versions.get(user) ?? 0) <= version) {
        this.overlay.set(user, record);
      }
    }
    for (const [user, seen] of this.#versions) {
      if (seen <= version) {
        this.#versions.delete(user);
      }
    }
    this.#floor = Math.max(this.#floor, version);
    this.#seen = Math.max(this.#seen, version);
  }
}

/**
 * node-redis queues commands while it reconnects: without a bound, an API call would hang until
 * Redis is back. A write that times out may still be applied later; if so its published change
 * reaches every instance like any other.
 */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not confirm the write within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function parseChange(text: string): { user: string; record: ConsentRecord | null } | null {
  try {
    const value = JSON.parse(text) as { u?: unknown; r?: unknown };
    if (typeof value.u !== 'string') {
      return null;
    }
    const record = value.r === null ? null : recordOf(value.r);
    return value.r !== null && record === null ? null : { user: value.u, record };
  } catch {
    return null;
  }
}

function parseRecord(text: string): ConsentRecord | null {
  try {
    return recordOf(JSON.parse(text));
  } catch {
    return null;
  }
}

/** A record as stored: written by a guard (validated then), read defensively all the same. */
function recordOf(value: unknown): ConsentRecord | null {
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const { allow, deny, appsOnly } = value as { allow?: unknown; deny?: unknown; appsOnly?: unknown };
  const strings = (list: unknown): list is string[] => Array.isArray(list) && list.every((entry) => typeof entry === 'string');
  if (!strings(allow) || !strings(deny)) {
    return null;
  }
  if (appsOnly === undefined) {
    return { allow, deny };
  }
  return strings(appsOnly) ? { allow, deny, appsOnly } : null;
}
