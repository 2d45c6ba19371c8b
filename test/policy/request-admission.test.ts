import t from 'tap';
import { admitRequest, type RequestAdmissionFacts } from '../../src/policy/request-admission.ts';

const OK: RequestAdmissionFacts = { method: 'INVITE', peerKnown: true, unknownPeers: 'reject', sourceAddress: '192.0.2.9', maxForwards: '70', unsupported: [] };

t.test('the first decision on a request, as a table of facts and outcomes', async (t) => {
  const cases: [string, Partial<RequestAdmissionFacts>, number | null, string | null][] = [
    ['a known peer, hops left, nothing required', {}, null, null],
    ['no peer matches, unknown_peers: reject', { peerKnown: false }, 403, 'peer.unknown'],
    ['no peer matches, unknown_peers: untrusted', { peerKnown: false, unknownPeers: 'untrusted' }, null, null],
    ['Max-Forwards 0', { maxForwards: '0' }, 483, null],
    ['Max-Forwards 0 on an ACK (never answered)', { method: 'ACK', maxForwards: '0' }, null, null],
    ['Max-Forwards absent: the default', { maxForwards: undefined }, null, null],
    ['Max-Forwards unreadable: not refused here (the parser refuses what it cannot read)', { maxForwards: 'x' }, null, null],
    ['an extension the guard does not support', { unsupported: ['x-foo'] }, 420, 'sip.extension-unsupported'],
    ['unknown peer beats everything else', { peerKnown: false, maxForwards: '0', unsupported: ['x-foo'] }, 403, 'peer.unknown'],
  ];
  for (const [name, facts, status, code] of cases) {
    const admission = admitRequest({ ...OK, ...facts });
    if (status === null) {
      t.ok(admission.admitted, name);
    } else {
      t.match(admission, { admitted: false, status }, name);
      if (!admission.admitted) {
        t.equal(admission.reasons[0]?.code, code ?? undefined, `${name}: reason`);
      }
    }
  }
  const refused = admitRequest({ ...OK, unsupported: ['x-foo', 'x-bar'] });
  t.same(refused.admitted ? null : refused.headers, [{ name: 'Unsupported', value: 'x-foo, x-bar' }], '420 names what is unsupported');
});
