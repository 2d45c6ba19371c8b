import type { Logger } from '../../log/logger.ts';
import type { DrachtioConnection } from './drachtio-connection.ts';
import type { SrfApp } from './srf-port.ts';

/**
 * Connects `srf` to drachtio-server and resolves with the SIP addresses it reports
 * (`udp/127.0.0.1:5060,tcp/…`); rejects on a refused secret or when it does not answer within
 * `timeoutMs`. drachtio-srf reconnects by itself afterwards: a reconnection is logged, and so is
 * a lost connection unless `stopped()` says the guard closed it.
 */
export function connectSrf(srf: SrfApp, opts: DrachtioConnection, timeoutMs: number, logger: Logger, stopped: () => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        srf.disconnect();
        reject(error);
      }
    };
    const timer = setTimeout(() => fail(new Error(`drachtio-server at ${opts.host}:${opts.port} did not accept the connection within ${timeoutMs} ms`)), timeoutMs);
    // srf.connect() reports a refused secret as a 'connect' event with an error: it must be checked.
    srf.on('connect', (err, hostport) => {
      if (err !== null && err !== undefined) {
        fail(new Error(`drachtio-server at ${opts.host}:${opts.port} refused the connection: ${err.message}`));
        return;
      }
      if (settled) {
        logger.info({ sip: hostport }, 'reconnected to drachtio-server');
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(hostport ?? '');
    });
    srf.on('error', (err) => {
      // drachtio-srf retries by itself; until the first connection this is only noted.
      logger.warn({ reason: err instanceof Error ? err.message : String(err), drachtio: `${opts.host}:${opts.port}` }, 'drachtio-server connection error');
    });
    srf.on('close', () => {
      if (settled && !stopped()) {
        logger.warn({ drachtio: `${opts.host}:${opts.port}` }, 'lost the drachtio-server connection; reconnecting');
      }
    });
    srf.connect(opts);
  });
}
