import { parseHostPort } from './host-syntax.ts';
import type { ListenSpec } from './profile-types.ts';

/** Parses a `sip.listen` entry: "udp:host:port", "tcp:host:port" or "tls:host:port", IPv6 as "udp:[::1]:5060". */
export function parseListenSpec(text: string): { readonly ok: true; readonly spec: ListenSpec } | { readonly ok: false; readonly reason: string } {
  const match = /^(udp|tcp|tls):(.*)$/.exec(text);
  if (match === null) {
    return { ok: false, reason: `not a listen address: "${text}" (expected "udp:host:port", "tcp:host:port" or "tls:host:port")` };
  }
  const transport = match[1] === 'tcp' ? 'tcp' : match[1] === 'tls' ? 'tls' : 'udp';
  const hostPort = parseHostPort(match[2] ?? '');
  if (!hostPort.ok) {
    return { ok: false, reason: `not a listen address: "${text}" (${hostPort.reason})` };
  }
  if (hostPort.value.port === null) {
    return { ok: false, reason: `not a listen address: "${text}" (the port is missing)` };
  }
  return { ok: true, spec: { transport, host: hostPort.value.host, port: hostPort.value.port } };
}
