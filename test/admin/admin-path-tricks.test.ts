/**
 * Someone on the management network plays with paths: encoded slashes and dots, double
 * encoding, trailing and doubled slashes, a huge user. None may reach a state-changing route
 * without the token, name a route it does not, or turn into another user's record.
 */
import t from 'tap';
import { CALLEE, startLab } from '../helpers/admin-lab.ts';

t.test('path tricks on the admin listener', async (t) => {
  const lab = await startLab(t, { port: 17400 });
  const tricks = ['/consent/..%2Fdrain', '/consent/..%2F..%2Freload', '/consent/%2e%2e%2fdrain', '/consent/%252e%252e%252fdrain'];
  for (const path of tricks) {
    t.equal((await lab.http('POST', path, { token: null })).status, 405, `${path}: POST is no consent method`);
    t.equal((await lab.http('PUT', path, { token: null, body: '{}' })).status, 401, `${path}: no token, refused before anything`);
    t.equal((await lab.http('PUT', path, { body: '{}' })).status, 400, `${path}: with the token, not a user`);
  }
  for (const path of ['/drain/', '//drain', '/drain/.', '/DRAIN', '/drain%2F', '/consent/', '/consent/a/b']) {
    const status = (await lab.http('POST', path, { token: null })).status;
    t.ok(status === 404 || status === 405, `${path}: no route (${status})`);
  }
  t.equal((await lab.http('GET', '/readyz')).status, 200, 'and nothing started a drain');
  const huge = `/consent/${encodeURIComponent(`sip:${'a'.repeat(20_000)}@x`)}`;
  const big = await lab.http('PUT', huge, { body: '{"deny":["weather-as"]}' }).catch(() => ({ status: 0 }));
  t.not(big.status, 200, 'a user past the HTTP header limit is no record');
  // A user given with a path segment after it is its own (odd) user, never the callee's.
  const sideways = `/consent/${encodeURIComponent(`${CALLEE}/..`)}`;
  t.equal((await lab.http('PUT', sideways, { body: '{"deny":["weather-as"]}' })).status, 200);
  t.equal((await lab.http('GET', `/consent/${encodeURIComponent(CALLEE)}`)).json.source, 'profile', "the callee's own record is untouched");
});
