/**
 * Kamailio with its tls module as a third-party TLS peer of the guard: it listens on UDP and
 * TLS on one loopback address, presents a certificate of the test PKI both as server and as
 * client, and requires one from the guard. What arrives over UDP it relays to the guard over
 * TLS; what arrives over TLS it answers itself (486, reason "Busy Here From Kamailio").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { KeyPair } from './test-pki.ts';

const KAMAILIO = '/usr/sbin/kamailio';
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';

/** Why Kamailio's TLS cannot run here, or null when it can. */
export function kamailioTlsMissing(): string | null {
  if (!existsSync(KAMAILIO)) {
    return `${KAMAILIO} is not installed`;
  }
  if (!existsSync(join(MODULES, 'tls.so'))) {
    return 'the Kamailio tls module is not installed (Debian package kamailio-tls-modules)';
  }
  return null;
}

export interface KamailioTls {
  readonly output: () => string;
  stop(): Promise<void>;
}

export interface KamailioTlsOptions {
  readonly dir: string;
  readonly ip: string;
  readonly udpPort: number;
  readonly tlsPort: number;
  readonly pair: KeyPair;
  readonly ca: string;
  /** Where UDP requests are relayed over TLS. */
  readonly guard: { readonly address: string; readonly port: number };
}

export async function startKamailioTls(opts: KamailioTlsOptions): Promise<KamailioTls> {
  const tlsCfg = join(opts.dir, `kamailio-tls-${opts.tlsPort}.cfg`);
  const side = `method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
private_key = ${opts.pair.key}
certificate = ${opts.pair.cert}
ca_list = ${opts.ca}
`;
  writeFileSync(tlsCfg, `[server:default]\n${side}\n[client:default]\n${side}server_name = guard.test\n`);
  const cfg = join(opts.dir, `kamailio-${opts.tlsPort}.cfg`);
  writeFileSync(
    cfg,
    `#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
listen=udp:${opts.ip}:${opts.udpPort}
listen=tls:${opts.ip}:${opts.tlsPort}
enable_tls=yes
mpath="${MODULES}/"
loadmodule "tls.so"
loadmodule "sl.so"
loadmodule "tm.so"
modparam("tls", "config", "${tlsCfg}")

request_route {
  if (proto == TLS) {
    sl_send_reply("486", "Busy Here From Kamailio");
    exit;
  }
  if (!t_relay_to_tls("${opts.guard.address}", "${opts.guard.port}")) {
    sl_reply_error();
  }
  exit;
}
`,
  );
  const child: ChildProcess = spawn(KAMAILIO, ['-f', cfg, '-DD', '-E', '-w', opts.dir, '-Y', opts.dir, '-P', join(opts.dir, `kamailio-${opts.tlsPort}.pid`)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Ready once its TLS port takes connections.
  const end = Date.now() + 10_000;
  while (Date.now() < end && child.exitCode === null && !(await accepts(opts.ip, opts.tlsPort))) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (child.exitCode !== null || !(await accepts(opts.ip, opts.tlsPort))) {
    child.kill('SIGKILL');
    throw new Error(`kamailio did not start:\n${output}`);
  }
  return {
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
    },
  };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
