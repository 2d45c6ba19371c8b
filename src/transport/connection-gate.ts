/**
 * Counts stream connections, accepted and opened alike, per remote address and in all, and
 * refuses one that would exceed either cap. Without it, strangers could open connections
 * until the process ran out of file descriptors, and then the core's own calls over TCP got
 * no answer. No sockets here: the transport asks before it adopts a connection and gives the
 * slot back when the connection closes.
 */
import { addressKey } from './endpoint.ts';

export interface ConnectionCaps {
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
}

export type GateVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly kind: 'connections-total-limit' | 'connections-per-source-limit'; readonly detail: string };

const OK: GateVerdict = { ok: true };

export class ConnectionGate {
  readonly #caps: ConnectionCaps;
  /** Open connections per canonical address (an IPv4-mapped IPv6 address counts as its IPv4 one). */
  readonly #bySource = new Map<string, number>();
  #total = 0;

  constructor(caps: ConnectionCaps) {
    this.#caps = caps;
  }

  get total(): number {
    return this.#total;
  }

  /** Takes a slot for a connection with `address` if both caps allow it; the caller releases it once. */
  acquire(address: string): GateVerdict {
    const key = addressKey(address);
    const fromSource = this.#bySource.get(key) ?? 0;
    if (this.#total >= this.#caps.maxConnections) {
      return { ok: false, kind: 'connections-total-limit', detail: `${this.#total} connections open (max_connections)` };
    }
    if (fromSource >= this.#caps.maxConnectionsPerSource) {
      return { ok: false, kind: 'connections-per-source-limit', detail: `${fromSource} connections with ${key} (max_connections_per_source)` };
    }
    this.#bySource.set(key, fromSource + 1);
    this.#total++;
    return OK;
  }

  release(address: string): void {
    const key = addressKey(address);
    const fromSource = this.#bySource.get(key);
    if (fromSource === undefined) {
      return;
    }
    if (fromSource <= 1) {
      this.#bySource.delete(key);
    } else {
      this.#bySource.set(key, fromSource - 1);
    }
    this.#total--;
  }
}
