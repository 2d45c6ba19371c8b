import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** Why Redis tests skip: false when `redis-server` is installed (CI installs it). */
export const REDIS_SKIP: false | string =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'redis-server is not installed (apt-get install redis-server)';

const START_WAIT_MS = 5_000;

/**
 * A private redis-server on a loopback port for one test file: nothing saved, nothing shared
 * with a system Redis. `stop` and `start` again on the same port play Redis going away and
 * coming back under a running guard.
 */
export class RedisServer {
  readonly host: string;
  readonly port: number;
  #child: ChildProcess | null = null;

  private constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }

  /** A redis-server on a free port of `host`. */
  static async start(host = '127.0.0.1'): Promise<RedisServer> {
    const server = new RedisServer(host, await freePort(host));
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://${this.host}:${this.port}/0`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** Starts it (again) on its port; resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.#child !== null) {
      return;
    }
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', this.host, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.#child = child;
    child.once('exit', () => {
      if (this.#child === child) {
        this.#child = null;
      }
    });
    const deadline = Date.now() + START_WAIT_MS;
    while (!(await pings(this.host, this.port))) {
      if (Date.now() > deadline || this.#child === null) {
        throw new Error(`redis-server on ${this.host}:${this.port} did not start`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops it (SIGKILL: gone at once, as in a crash) and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child === null) {
      return;
    }
    this.#child = null;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** One raw command (tests look at keys without a client of their own). */
  async command(...args: string[]): Promise<string> {
    return rawCommand(this.host, this.port, args);
  }
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') {
    throw new Error('no free port');
  }
  return address.port;
}

async function pings(host: string, port: number): Promise<boolean> {
  try {
    return (await rawCommand(host, port, ['PING'])).includes('PONG');
  } catch {
    return false;
  }
}

/** Sends one RESP command and returns the raw reply text. */
function rawCommand(host: string, port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let reply = '';
    socket.setTimeout(1_000, () => socket.destroy(new Error('timeout')));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('\r\n')) {
        socket.end();
        resolve(reply);
      }
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}
