/**
 * One node-redis client per guard process, opened from the profile's `state` settings, and the
 * one way the Redis store and the shared rate buckets send it commands: each command bounded by
 * `state.command_timeout_ms`, timed for the observer, and failed as StoreUnavailableError.
 */
import { createClient } from 'redis';
import type { StateSettings } from '../profile/profile-types.ts';
import type { LuaScript } from './redis-scripts.ts';
import { StoreUnavailableError, type StoreObserver } from './store-unavailable-error.ts';

export type RedisClient = ReturnType<typeof createClient>;

/** Longest wait between two reconnection attempts: Redis back is noticed within it. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/**
 * A client that reconnects by itself, forever, when Redis goes away. Commands sent while it is
 * disconnected fail at once (no offline queue): the guard must not hold a message for Redis.
 */
export function openRedisClient(settings: StateSettings, env: Readonly<Record<string, string | undefined>>): RedisClient {
  const password = settings.passwordEnv === null ? undefined : env[settings.passwordEnv];
  const client = createClient({
    url: settings.url,
    ...(password === undefined || password === '' ? {} : { password }),
    disableOfflineQueue: true,
    socket: {
      connectTimeout: Math.max(settings.commandTimeoutMs, 1_000),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
  });
  // node-redis emits every failed attempt; unhandled, an 'error' event would end the process.
  client.on('error', () => undefined);
  return client;
}

/**
 * Starts connecting and waits up to `waitMs` for Redis. False when it did not answer in time:
 * the client goes on trying, and the store serves from its local copy until it does.
 */
export async function connectRedis(client: RedisClient, waitMs: number): Promise<boolean> {
  if (client.isReady) {
    return true;
  }
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!client.isOpen) {
    client.connect().catch(() => undefined);
  }
  return ready;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

export class RedisCommands {
  readonly #client: RedisClient;
  readonly #timeoutMs: number;
  readonly #observer: StoreObserver | undefined;

  constructor(client: RedisClient, timeoutMs: number, observer?: StoreObserver) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.#observer = observer;
  }

  get client(): RedisClient {
    return this.#client;
  }

  /** Runs `lua` (by its SHA, loading it once when Redis does not know it yet). */
  async eval(op: string, lua: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    return this.send(op, ['EVALSHA', lua.sha, ...tail], ['EVAL', lua.text, ...tail]);
  }

  async send(op: string, command: readonly string[], onNoScript?: readonly string[]): Promise<unknown> {
    const started = performance.now();
    try {
      let reply: unknown;
      try {
        reply = await this.#bounded(command);
      } catch (error) {
        if (onNoScript === undefined || !String((error as Error).message).startsWith('NOSCRIPT')) {
          throw error;
        }
        reply = await this.#bounded(onNoScript);
      }
      this.#observer?.(op, performance.now() - started, false);
      return reply;
    } catch (error) {
      this.#observer?.(op, performance.now() - started, true);
      throw error instanceof StoreUnavailableError ? error : new StoreUnavailableError(op, (error as Error).message);
    }
  }

  #bounded(command: readonly string[]): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(command[0] ?? 'command', `no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    return Promise.race([this.#client.sendCommand([...command]), timeout]).finally(() => clearTimeout(timer));
  }
}
