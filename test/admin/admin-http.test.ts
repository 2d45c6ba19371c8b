/** The admin listener over real HTTP, in front of a real embedded guard: routes, token, health, readiness, drain, metrics, reload. */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import t from 'tap';
import { AdminListenError, startAdmin } from '../../src/admin/admin-server.ts';
import { GuardMetrics } from '../../src/metrics/guard-metrics.ts';
import { MemoryConsentStore } from '../../src/state/memory-consent-store.ts';
import { memoryLogger } from '../helpers/guard-harness.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { BOOTSTRAP, offer } from '../helpers/sdp-builder.ts';
import { dialogRequest } from '../helpers/sip-peer.ts';
import { CALLEE, labYaml, startLab, TOKEN, weatherPassed } from '../helpers/admin-lab.ts';

/** The value of one series in the exposition text, or null when it is absent. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

t.test('routes: 404 for unknown paths, 405 with Allow, 413 over the body limit, JSON errors', async (t) => {
  const lab = await startLab(t, { port: 17100 });
  const missing = await lab.http('GET', '/nope');
  t.equal(missing.status, 404);
  t.match(missing.json.error, /no such path/);
  t.match(missing.headers.get('content-type'), /application\/json/);
  const wrong = await lab.http('POST', '/healthz');
  t.equal(wrong.status, 405);
  t.equal(wrong.headers.get('allow'), 'GET, HEAD');
  const consentWrong = await lab.http('POST', `/consent/${encodeURIComponent(CALLEE)}`);
  t.equal(consentWrong.headers.get('allow'), 'GET, HEAD, PUT, DELETE');
  const head = await lab.http('HEAD', '/readyz', { token: null });
  t.equal(head.status, 200, 'HEAD probes like GET');
  t.equal(head.text, '', 'without a body');
  const big = await lab.http('PUT', `/consent/${encodeURIComponent(CALLEE)}`, { body: JSON.stringify({ allow: ['core'], pad: 'x'.repeat(70_000) }) });
  t.equal(big.status, 413);
  t.match(big.json.error, /over 65536 bytes/);
  const notJson = await lab.http('PUT', `/consent/${encodeURIComponent(CALLEE)}`, { body: '{"allow": [', headers: { 'Content-Type': 'application/json' } });
  t.equal(notJson.status, 400);
  t.match(notJson.json.error, /body: not JSON/);
  const form = await lab.http('PUT', `/consent/${encodeURIComponent(CALLEE)}`, { body: 'allow=core', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  t.equal(form.status, 415);
});

t.test('bearer token: missing and wrong are 401, right one passes; with the variable unset every state-changing route is 403', async (t) => {
  const lab = await startLab(t, { port: 17110 });
  const missing = await lab.http('POST', '/reload', { token: null });
  t.equal(missing.status, 401);
  t.match(missing.headers.get('www-authenticate'), /^Bearer /);
  t.equal((await lab.http('POST', '/reload', { token: `${TOKEN}x` })).status, 401, 'one character longer');
  t.equal((await lab.http('POST', '/reload', { token: TOKEN.slice(0, -1) })).status, 401, 'one shorter');
  t.equal((await lab.http('POST', '/reload', { headers: { Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` }, token: null })).status, 401, 'not a bearer');
  t.equal((await lab.http('GET', `/consent/${encodeURIComponent(CALLEE)}`, { token: null })).status, 401, 'consent records are personal data: read with the token too');
  t.equal((await lab.http('POST', '/reload')).status, 200, 'the right token');
  t.equal((await lab.http('GET', '/healthz', { token: null })).status, 200, 'probes need no token');
  t.equal((await lab.http('GET', '/metrics', { token: null })).status, 200);

  const open = await startLab(t, { port: 17120, token: null });
  for (const [method, path] of [
    ['POST', '/reload'],
    ['POST', '/drain'],
    ['PUT', `/consent/${encodeURIComponent(CALLEE)}`],
    ['DELETE', `/consent/${encodeURIComponent(CALLEE)}`],
  ] as const) {
    const res = await open.http(method, path, { token: 'anything', ...(method === 'PUT' ? { body: '{}' } : {}) });
    t.equal(res.status, 403, `${method} ${path}: 403 with no token configured`);
    t.match(res.json.error, /DCG_TEST_ADMIN_TOKEN/, 'names the variable to set');
  }
  t.notOk(open.guard.draining, 'the refused drain did nothing');
});

t.test('healthz and readyz: ready while serving, 503 with the store down, 503 while draining (SIGTERM path)', async (t) => {
  const lab = await startLab(t, { port: 17130 });
  t.same((await lab.http('GET', '/healthz')).json, { status: 'alive' });
  t.same((await lab.http('GET', '/readyz')).json, { ready: true });
  lab.storeDown(true);
  const down = await lab.http('GET', '/readyz');
  t.equal(down.status, 503);
  t.same(down.json, { ready: false, reasons: ['store-unreachable'] });
  lab.storeDown(false);
  t.equal((await lab.http('GET', '/readyz')).status, 200, 'ready again once the store is back');

  const stopping = lab.guard.stop(1_000);
  const draining = await lab.http('GET', '/readyz');
  t.equal(draining.status, 503);
  t.same(draining.json, { ready: false, reasons: ['draining'] });
  t.equal((await lab.http('GET', '/healthz')).status, 200, 'still alive while draining');
  await stopping;
});

t.test('POST /drain: 202, readiness goes 503 and a new call gets 503 while a call in progress finishes', async (t) => {
  const lab = await startLab(t, { port: 17140 });
  lab.caller.send(dialogRequest(lab.caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'before-drain', body: offer({ channels: [BOOTSTRAP] }) }), lab.to);
  const ringing = await lab.callee.nextRequest('INVITE');
  const res = await lab.http('POST', '/drain');
  t.equal(res.status, 202);
  t.same(res.json, { draining: true });
  t.equal((await lab.http('GET', '/readyz')).status, 503);
  lab.caller.send(dialogRequest(lab.caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'after-drain', body: offer({ channels: [BOOTSTRAP] }) }), lab.to);
  const refused = await lab.caller.nextResponse((s) => s >= 300, 'INVITE');
  t.equal(refused.status, 503, 'new dialogs refused');
  t.equal(refused.headers.find((h) => h.name === 'Call-ID')?.value, 'after-drain');
  lab.callee.reply(ringing, 200, 'OK', { toTag: 'drained', body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
  t.equal((await lab.caller.nextResponse(200, 'INVITE')).status, 200, 'the call in progress still gets its answer');
  t.equal((await lab.http('POST', '/drain')).status, 202, 'a second drain says the same');
});

t.test('metrics after N calls: counts match, nothing identifies anyone', async (t) => {
  const lab = await startLab(t, { port: 17150 });
  const n = 3;
  for (let i = 0; i < n; i += 1) {
    const callId = `metrics-core-${i}`;
    lab.caller.send(dialogRequest(lab.caller, { uri: 'sip:+15550002222@ims.example.net', callId, body: offer({ channels: [BOOTSTRAP] }) }), lab.to);
    const atCallee = await lab.callee.nextRequest('INVITE');
    lab.callee.reply(atCallee, 200, 'OK', { toTag: `callee-${i}`, body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
    await lab.caller.nextResponse(200, 'INVITE');
  }
  // weather-as: burst 3, then refused over its rate (a 503 with Retry-After).
  for (let i = 0; i < 3; i += 1) {
    await lab.asCall(`metrics-as-${i}`);
  }
  lab.as.send(dialogRequest(lab.as, { uri: 'sip:+15550002222@ims.example.net', callId: 'metrics-as-limited', body: offer({ channels: [BOOTSTRAP] }) }), lab.to);
  t.equal((await lab.as.nextResponse((s) => s >= 300, 'INVITE')).status, 503, 'over its rate');
  const res = await lab.http('GET', '/metrics', { token: null });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = res.text;
  t.equal(sample(text, 'dcg_decisions_total{peer="core",message="INVITE",action="forward"}'), n, 'one decision per core INVITE');
  t.equal(sample(text, 'dcg_decisions_total{peer="weather-as",message="INVITE",action="forward"}'), 3);
  t.equal(sample(text, 'dcg_decisions_total{peer="weather-as",message="INVITE",action="reject"}'), 1);
  t.equal(sample(text, 'dcg_decisions_total{peer="core",message="2xx INVITE",action="forward"}'), n, 'the callee\'s 200s');
  t.equal(sample(text, 'dcg_rate_limit_refusals_total{peer="weather-as",limit="rate"}'), 1);
  t.equal(sample(text, 'dcg_decision_reasons_total{peer="weather-as",message="INVITE",action="reject",reason="peer.rate-limited"}'), 1);
  t.equal(sample(text, 'dcg_message_handling_seconds_count{inbound="request",method="INVITE"}'), n + 4);
  const active = text.split('\n').filter((l) => l.startsWith('dcg_active_calls{'));
  t.equal(active.reduce((sum, line) => sum + Number(line.split(' ')[1]), 0), lab.calls.size, 'active calls as the store counts them');
  t.ok(lab.calls.size >= n, 'the answered core calls are live');
  t.notMatch(text, /1555000|ims\.example\.net|127\.0\.0\.|alice|bob|tel:|sip:/, 'no identity and no address in any label');
});

t.test('POST /reload: a good profile takes over; a bad one is 400 with file:line: reason and the running one stays', async (t) => {
  const lab = await startLab(t, { port: 17160 });
  t.ok(weatherPassed(await lab.asCall('reload-1')), 'the profile record allows weather-as for the callee');

  writeFileSync(lab.file, labYaml(17160).replace('allow: ["weather-as"]', 'deny: ["weather-as"]'));
  const good = await lab.http('POST', '/reload');
  t.equal(good.status, 200);
  t.same(good.json, { reloaded: true });
  t.notOk(weatherPassed(await lab.asCall('reload-2')), 'the reloaded record denies it');

  writeFileSync(lab.file, `${labYaml(17160)}\nsurprise: true\n`);
  const bad = await lab.http('POST', '/reload');
  t.equal(bad.status, 400);
  t.match(bad.json.error, /running profile stays in force/);
  const errors = bad.json.errors as string[];
  t.ok(errors.length >= 1);
  t.match(errors[0], /profile\.yaml:\d+: unknown top-level key "surprise"/);
  t.notOk(weatherPassed(await lab.asCall('reload-3')), 'still the last good profile');
  const record = await lab.http('GET', `/consent/${encodeURIComponent(CALLEE)}`);
  t.same(record.json, { user: CALLEE, source: 'profile', allow: [], deny: ['weather-as'] });
});

t.test('a port in use is one clear error line', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const profile = labProfile();
  const attempt = startAdmin({
    settings: { host: '127.0.0.1', port, tokenEnv: 'X' },
    env: {},
    logger: memoryLogger().logger,
    metrics: new GuardMetrics({ defaultMetrics: false }),
    isDraining: () => false,
    storeReachable: () => true,
    reload: () => ({ ok: true }),
    drain: () => undefined,
    consent: new MemoryConsentStore(),
    profile: () => profile,
  });
  await t.rejects(attempt, AdminListenError);
  await t.rejects(attempt, { message: `admin listener: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)` });
});
