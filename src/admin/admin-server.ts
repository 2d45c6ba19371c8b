/**
 * The admin HTTP listener (`admin.listen`): health, readiness, Prometheus metrics, reload,
 * drain and the consent API, on plain node:http. Plain HTTP: keep it on loopback or a
 * management network. Bodies are bounded, unknown paths 404, wrong methods 405 with Allow,
 * every error a JSON `{"error": ...}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.ts';
import type { AdminSettings } from '../profile/profile-types.ts';
import { errorReply, type AdminReply } from './admin-reply.ts';
import { routeOf, type AdminDeps } from './admin-routes.ts';
import { checkBearer } from './bearer-auth.ts';

export type { AdminDeps, ReloadResult } from './admin-routes.ts';

export interface AdminOptions extends AdminDeps {
  readonly settings: AdminSettings;
  /** Where the bearer token is read (`settings.tokenEnv`), at every request: process.env in the server. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Largest request body; default 64 KiB (413 above). */
  readonly maxBodyBytes?: number;
}

export interface AdminListener {
  readonly address: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 64 * 1024;

/** Thrown by startAdmin when the listener cannot bind: its message is one line naming the address. */
export class AdminListenError extends Error {
  constructor(settings: AdminSettings, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'EADDRINUSE' ? 'address already in use' : cause.code === 'EADDRNOTAVAIL' ? 'no such local address' : cause.code === 'EACCES' ? 'permission denied' : cause.message;
    super(`admin listener: cannot listen on ${hostPort(settings.host, settings.port)}: ${why}${cause.code === undefined ? '' : ` (${cause.code})`}`);
    this.name = 'AdminListenError';
  }
}

/** Starts the listener on `settings.host:port` (port 0: any free one, see `address`). */
export async function startAdmin(options: AdminOptions): Promise<AdminListener> {
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      options.logger.error({ err: error, admin: 'internal' }, 'admin request failed');
      send(res, errorReply(500, 'internal error'));
    });
  });
  // Probes, a scraper and an operator's tool: a few connections are plenty.
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new AdminListenError(options.settings, error)));
    server.listen({ host: options.settings.host, port: options.settings.port, exclusive: true }, () => resolve());
  });
  server.on('error', (error) => options.logger.error({ err: error }, 'admin listener error'));
  const bound = server.address() as AddressInfo;
  options.logger.info({ admin: hostPort(bound.address, bound.port) }, 'admin listening');
  return { address: { host: bound.address, port: bound.port }, close: () => closeServer(server) };
}

async function handle(options: AdminOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  const found = routeOf(path);
  if (found === null) {
    drainBody(req);
    send(res, errorReply(404, 'no such path (known: /healthz, /readyz, /metrics, /reload, /drain, /consent/{user})'));
    return;
  }
  const { route, params } = found;
  const method = req.method ?? 'GET';
  // HEAD is GET without the body (node:http leaves it out): what `wget --spider` probes with.
  const handler = route.methods[method === 'HEAD' ? 'GET' : method];
  if (handler === undefined) {
    drainBody(req);
    const allow = Object.keys(route.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
    send(res, errorReply(405, `${method} is not allowed here (allowed: ${allow})`, {}, { Allow: allow }));
    return;
  }
  if (route.auth) {
    const tokenEnv = options.settings.tokenEnv;
    const auth = checkBearer(req.headers.authorization, options.env[tokenEnv], tokenEnv);
    if (!auth.ok) {
      drainBody(req);
      options.logger.warn({ admin: route.name, method, status: auth.status, remote: req.socket.remoteAddress }, 'admin request refused');
      send(res, errorReply(auth.status, auth.error, {}, auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="dc-guard"' } : undefined));
      return;
    }
  }
  const body = await readBody(req, options.maxBodyBytes ?? DEFAULT_MAX_BODY);
  if (body === null) {
    send(res, errorReply(413, `request body over ${options.maxBodyBytes ?? DEFAULT_MAX_BODY} bytes`, {}, { Connection: 'close' }));
    return;
  }
  if (method === 'PUT' && !isJson(req.headers['content-type'])) {
    send(res, errorReply(415, 'the body must be JSON (Content-Type: application/json)'));
    return;
  }
  const reply = await handler(options, { params, body });
  if (route.auth) {
    // The route's name, never its path: a consent path names a user.
    options.logger.info({ admin: route.name, method, status: reply.status }, 'admin request');
  }
  send(res, reply);
}

function isJson(type: string | undefined): boolean {
  return type === undefined || /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type);
}

/** The body as text, or null once it goes over `max` (then the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size > max ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A request answered without its body: the body is read and thrown away, so keep-alive stays usable. */
function drainBody(req: IncomingMessage): void {
  req.resume();
}

function send(res: ServerResponse, reply: AdminReply): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = reply.text ?? `${JSON.stringify(reply.json ?? null)}\n`;
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType ?? (reply.text === undefined ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8'),
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...(reply.headers ?? {}),
  });
  if (reply.after !== undefined) {
    res.once('finish', reply.after);
  }
  res.end(text);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
