import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The one pino logger of a guard process. Output is JSON lines on stdout (or the given
 * stream); `LOG_LEVEL` picks the level. Identities never reach it in clear: decision reports
 * name peers and opaque call ids only (see DecisionReport).
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const config = { level: options.level ?? 'info', base: { app: 'ims-dc-guard' } };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}
