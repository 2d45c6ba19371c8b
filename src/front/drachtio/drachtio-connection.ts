import { isIP } from 'node:net';

/** Where the guard reaches drachtio-server's application (admin) socket. */
export interface DrachtioConnection {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

export const DRACHTIO_ENV = {
  host: 'DRACHTIO_HOST',
  port: 'DRACHTIO_PORT',
  secret: 'DRACHTIO_SECRET',
} as const;

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 9022;

/**
 * The connection settings of `dc-guard run --transport drachtio`, from the environment:
 * DRACHTIO_HOST (default 127.0.0.1), DRACHTIO_PORT (default 9022) and DRACHTIO_SECRET (required:
 * there is no default secret, so a guard never connects with one nobody chose).
 */
export function drachtioConnectionFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { readonly ok: true; readonly connection: DrachtioConnection } | { readonly ok: false; readonly error: string } {
  const host = (env[DRACHTIO_ENV.host] ?? '').trim() || DEFAULT_HOST;
  const portText = (env[DRACHTIO_ENV.port] ?? '').trim();
  const secret = env[DRACHTIO_ENV.secret] ?? '';
  if (!/^[A-Za-z0-9.-]+$/.test(host) && isIP(host) === 0) {
    return { ok: false, error: `${DRACHTIO_ENV.host}: not a host name or IP address: ${JSON.stringify(host)}` };
  }
  const port = portText === '' ? DEFAULT_PORT : Number(portText);
  if (!/^[0-9]+$/.test(portText === '' ? String(DEFAULT_PORT) : portText) || port < 1 || port > 65_535) {
    return { ok: false, error: `${DRACHTIO_ENV.port}: not a port 1-65535: ${JSON.stringify(portText)}` };
  }
  if (secret === '') {
    return { ok: false, error: `${DRACHTIO_ENV.secret} is not set: it must hold drachtio-server's admin secret` };
  }
  return { ok: true, connection: { host, port, secret } };
}
