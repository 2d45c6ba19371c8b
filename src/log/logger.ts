import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Most bytes of log lines held while stdout is slower than the guard: past it, lines are dropped (and counted), not memory taken. */
const STDOUT_BUFFER_MAX = 16 * 1024 * 1024;
const DROP_NOTICE_INTERVAL_MS = 10_000;
/** Lines are written in batches of about this many bytes (sonic-boom's limit is under 16 KB), or every LINGER_MS when fewer come. */
const BATCH_BYTES = 8 * 1024;
const LINGER_MS = 100;

/**
 * The one pino logger of a guard process. Output is JSON lines on stdout (or the given
 * stream); `LOG_LEVEL` picks the level. Identities never reach it in clear: decision reports
 * name peers and opaque call ids only (see DecisionReport).
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const config = { level: options.level ?? 'info', base: { app: 'ims-dc-guard' } };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}

/**
 * The logger of `dc-guard run`: lines go to stdout without a write(2) per line. A synchronous
 * write per decision line cost the guard a system call per message under load; here lines are
 * written together, asynchronously, once 8 KB are waiting or 100 ms after the first (so a line
 * is never later than that). The buffer is bounded (a stalled stdout must not take the guard's
 * memory): lines past it are dropped, and said on stderr at most every 10 s. What is buffered is
 * written before the process exits, a crash included (pino flushes its destinations on exit).
 */
export function createStdoutLogger(level: string): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES, periodicFlush: LINGER_MS, maxLength: STDOUT_BUFFER_MAX });
  let dropped = 0;
  let noticed = 0;
  destination.on('drop', (data: string | Buffer) => {
    dropped += data.length;
    const now = Date.now();
    if (now - noticed >= DROP_NOTICE_INTERVAL_MS) {
      noticed = now;
      process.stderr.write(`dc-guard: stdout is not keeping up: ${dropped} bytes of log lines dropped so far\n`);
    }
  });
  return createLogger({ level, destination });
}
