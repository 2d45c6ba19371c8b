/** Small facts about addresses and errors that the socket modules of the transport share. */
import net from 'node:net';

/** 4 or 6 for an IP literal, 0 for anything else (a host name). */
export function familyOf(address: string): 4 | 6 | 0 {
  const f = net.isIP(address);
  return f === 4 || f === 6 ? f : 0;
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** An error's message for an event detail, whatever was thrown. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
