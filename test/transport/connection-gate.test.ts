/** ConnectionGate: slots per source and in all, given back on release. */
import t from 'tap';
import { ConnectionGate } from '../../src/transport/connection-gate.ts';

t.test('per-source cap, total cap, release', async (t) => {
  const gate = new ConnectionGate({ maxConnections: 5, maxConnectionsPerSource: 2 });
  t.ok(gate.acquire('127.0.0.5').ok);
  t.ok(gate.acquire('::ffff:127.0.0.5').ok, 'a mapped address is the same source');
  t.match(gate.acquire('127.0.0.5'), { ok: false, kind: 'connections-per-source-limit' });
  t.ok(gate.acquire('127.0.0.6').ok);
  t.ok(gate.acquire('127.0.0.6').ok);
  t.ok(gate.acquire('127.0.0.7').ok);
  t.equal(gate.total, 5);
  t.match(gate.acquire('127.0.0.8'), { ok: false, kind: 'connections-total-limit' });
  gate.release('127.0.0.5');
  t.equal(gate.total, 4);
  t.ok(gate.acquire('127.0.0.8').ok, 'a released slot is free again');
  t.match(gate.acquire('127.0.0.5'), { ok: false, kind: 'connections-total-limit' }, 'full again in all');
  gate.release('127.0.0.99');
  t.equal(gate.total, 5, 'releasing what was never taken changes nothing');
});
