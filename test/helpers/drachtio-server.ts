import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A drachtio-server the tests start themselves on loopback, from the binary DRACHTIO_BIN names
 * (drachtio-server is not an npm package; build it from github.com/drachtio/drachtio-server).
 * Without DRACHTIO_BIN the drachtio tests are skipped with DRACHTIO_SKIP as the reason.
 */
export const DRACHTIO_BIN = process.env.DRACHTIO_BIN ?? '';

export const DRACHTIO_SKIP: false | string = ((): false | string => {
  if (DRACHTIO_BIN === '') {
    return 'DRACHTIO_BIN is not set: point it at a drachtio-server binary (v0.9.x) to run the drachtio front end flows';
  }
  try {
    accessSync(DRACHTIO_BIN, constants.X_OK);
  } catch {
    return `DRACHTIO_BIN=${DRACHTIO_BIN} is not an executable file`;
  }
  return false;
})();

export interface DrachtioServerOptions {
  /** Loopback address and port of its SIP contact (UDP and TCP). */
  readonly sipIp: string;
  readonly sipPort: number;
  /** Its application (admin) socket on 127.0.0.1. */
  readonly adminPort: number;
}

export interface RunningDrachtioServer {
  readonly sipIp: string;
  readonly sipPort: number;
  readonly admin: { readonly host: string; readonly port: number; readonly secret: string };
  /** The tail of its console log, for failure reports. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Writes a config to a temp dir (drachtio-server needs one) and starts the binary with the
 * command line options taking precedence, at log level notice and sofia level 0. Resolves when
 * its SIP stack runs and its admin socket accepts connections.
 */
export async function startDrachtioServer(options: DrachtioServerOptions): Promise<RunningDrachtioServer> {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-drachtio-'));
  const secret = `dcg-test-${process.pid}`;
  const config = join(dir, 'drachtio.conf.xml');
  writeFileSync(
    config,
    `<drachtio>
  <admin port="${options.adminPort}" secret="${secret}">127.0.0.1</admin>
  <sip><contacts></contacts></sip>
  <cdrs>false</cdrs>
  <logging><console/><sofia-loglevel>0</sofia-loglevel><loglevel>notice</loglevel></logging>
</drachtio>
`,
  );
  const child = spawn(
    DRACHTIO_BIN,
    [
      '-f',
      config,
      '--contact',
      `sip:${options.sipIp}:${options.sipPort};transport=udp,tcp`,
      '--address',
      '127.0.0.1',
      '--port',
      String(options.adminPort),
      '--secret',
      secret,
      '--loglevel',
      'notice',
      '--sofia-loglevel',
      '0',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const append = (chunk: Buffer): void => {
    log = (log + chunk.toString('latin1')).slice(-50_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const server: RunningDrachtioServer = {
    sipIp: options.sipIp,
    sipPort: options.sipPort,
    admin: { host: '127.0.0.1', port: options.adminPort, secret },
    log: () => log,
    stop: async () => {
      await terminate(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 10_000;
  while (!(log.includes('Starting sofia event loop') && (await accepts(options.adminPort)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await server.stop();
      throw new Error(`drachtio-server did not start (exit ${child.exitCode}):\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return server;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** SIGTERM to the drachtio-server process itself; SIGKILL if it is still there after 3 s. */
async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
