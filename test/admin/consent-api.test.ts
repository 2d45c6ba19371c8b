/** The consent API round trip against a real embedded guard: the next INVITE's DC is decided by what was PUT, DELETE falls back to the profile, reloads keep API records. */
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { CALLEE, labYaml, startLab, weatherPassed } from '../helpers/admin-lab.ts';

const CALLEE_PATH = `/consent/${encodeURIComponent(CALLEE)}`;

t.test('PUT decides the next INVITE, GET shows it, DELETE falls back to the profile record', async (t) => {
  const lab = await startLab(t, { port: 17200 });
  t.ok(weatherPassed(await lab.asCall('consent-1')), 'the profile record allows weather-as');
  t.same((await lab.http('GET', CALLEE_PATH)).json, { user: CALLEE, source: 'profile', allow: ['weather-as'], deny: [] });

  // Another spelling of the same user: the record lands on the normalised identity.
  const put = await lab.http('PUT', `/consent/${encodeURIComponent('sip:+1-555-000-2222@ims.example.net;user=phone')}`, { body: JSON.stringify({ deny: ['weather-as:com.example.weather'] }) });
  t.equal(put.status, 200);
  t.same(put.json, { user: CALLEE, source: 'api', allow: [], deny: ['weather-as:com.example.weather'] });
  const denied = await lab.asCall('consent-2');
  t.notOk(weatherPassed(denied), 'the API record denies it on the very next INVITE');
  t.ok(
    lab.logs.some((l) => l.msg === 'decision' && JSON.stringify(l.reasons).includes('dc.consent-denied')),
    'decided as dc.consent-denied',
  );
  t.same((await lab.http('GET', `/consent/${CALLEE.replace('+', '%2B')}`)).json, { user: CALLEE, source: 'api', allow: [], deny: ['weather-as:com.example.weather'] });

  const deleted = await lab.http('DELETE', CALLEE_PATH);
  t.equal(deleted.status, 200);
  t.same(deleted.json, { user: CALLEE, deleted: true, inForce: 'profile' });
  t.ok(weatherPassed(await lab.asCall('consent-3')), 'the profile record is in force again');
  t.equal((await lab.http('DELETE', CALLEE_PATH)).status, 404, 'nothing made through the API is left to delete');
  t.same((await lab.http('GET', CALLEE_PATH)).json.source, 'profile');

  const nobody = await lab.http('GET', `/consent/${encodeURIComponent('sip:nobody@ims.example.net')}`);
  t.equal(nobody.status, 404);
  t.same(nobody.json, { error: 'no consent record for this user', user: 'sip:nobody@ims.example.net', default: 'allow' });
  t.notOk(
    lab.logs.some((l) => JSON.stringify(l).includes('nobody@') || (l.msg === 'admin request' && JSON.stringify(l).includes('5550002222'))),
    'the admin log lines name no user',
  );
});

t.test('a bad record is 400 with the reason, and nothing changes', async (t) => {
  const lab = await startLab(t, { port: 17210 });
  const cases: [string, unknown, RegExp][] = [
    ['unknown peer', { deny: ['ads-as'] }, /deny\[0\]: unknown peer "ads-as" \(peers: core, weather-as\)/],
    ['bad entry', { allow: ['weather as'] }, /allow\[0\]: must be "peer-id", "peer-id:app-id" or "peer-id:bootstrap"/],
    ['unknown key', { allow: [], maybe: [] }, /record: unknown key "maybe"/],
    ['not a list', { allow: 'weather-as' }, /allow: must be a list/],
    ['not an object', ['weather-as'], /record: must be an object/],
  ];
  for (const [name, body, reason] of cases) {
    const res = await lab.http('PUT', CALLEE_PATH, { body: JSON.stringify(body) });
    t.equal(res.status, 400, name);
    t.match(res.json.error, reason, `${name}: says why`);
    t.match((res.json.errors as string[])[0], reason);
  }
  const badUser = await lab.http('PUT', `/consent/${encodeURIComponent('alice@ims.example.net')}`, { body: '{}' });
  t.equal(badUser.status, 400);
  t.match(badUser.json.error, /user: must be a tel:, sip: or sips: URI/);
  t.equal((await lab.http('GET', '/consent/%E0%A4%A')).status, 400, 'a broken URL encoding');
  t.equal((await lab.http('GET', CALLEE_PATH)).json.source, 'profile', 'no record was written');
  t.ok(weatherPassed(await lab.asCall('bad-record')), 'the profile record still decides');
});

t.test('a profile reload keeps the records made through the API', async (t) => {
  const lab = await startLab(t, { port: 17220 });
  t.equal((await lab.http('PUT', CALLEE_PATH, { body: JSON.stringify({ deny: ['weather-as'] }) })).status, 200);
  writeFileSync(lab.file, labYaml(17220).replace('default: allow', 'default: allow\n  # reloaded'));
  t.equal((await lab.http('POST', '/reload')).status, 200);
  t.equal((await lab.http('GET', CALLEE_PATH)).json.source, 'api', 'still the API record');
  t.notOk(weatherPassed(await lab.asCall('after-reload')), 'and still in force');
});

t.test('subscriptions through the API (apps_only): the next INVITE offers the user only the applications it subscribed to', async (t) => {
  const lab = await startLab(t, { port: 17260 });
  t.ok(weatherPassed(await lab.asCall('subscribe-1')), 'allowed by the profile record');
  const elsewhere = await lab.http('PUT', CALLEE_PATH, { body: JSON.stringify({ allow: ['weather-as'], apps_only: ['com.example.translate'] }) });
  t.equal(elsewhere.status, 200);
  t.same(elsewhere.json, { user: CALLEE, source: 'api', allow: ['weather-as'], deny: [], apps_only: ['com.example.translate'] });
  t.notOk(weatherPassed(await lab.asCall('subscribe-2')), 'not subscribed to the weather app: refused although weather-as is allowed');
  const subscribed = await lab.http('PUT', CALLEE_PATH, { body: JSON.stringify({ allow: ['weather-as'], apps_only: ['com.example.weather'] }) });
  t.equal(subscribed.status, 200);
  t.ok(weatherPassed(await lab.asCall('subscribe-3')), 'subscribed: it passes');
  const bad = await lab.http('PUT', CALLEE_PATH, { body: JSON.stringify({ apps_only: ['*'] }) });
  t.equal(bad.status, 400, '"*" is no subscription');
});
