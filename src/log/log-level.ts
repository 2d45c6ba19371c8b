import { pino } from 'pino';

export type LogLevelChoice = { readonly ok: true; readonly level: string } | { readonly ok: false; readonly reason: string };

/**
 * `LOG_LEVEL` as pino knows it (unset: info). A level pino does not know is a one-line error
 * the command prints, not the stack trace pino would throw from inside the logger's creation.
 */
export function logLevelOf(value: string | undefined): LogLevelChoice {
  if (value === undefined || value === '') {
    return { ok: true, level: 'info' };
  }
  const level = value.trim().toLowerCase();
  const known = [...Object.keys(pino.levels.values), 'silent'];
  return known.includes(level)
    ? { ok: true, level }
    : { ok: false, reason: `LOG_LEVEL "${value}" is not a log level (one of ${known.join(', ')})` };
}
