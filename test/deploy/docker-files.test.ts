/**
 * The Docker files cannot be built here (no engine), so their invariants are read: the compose
 * topology (Kamailio, two guards, Redis; drachtio-server in its own profile), pinned images, a
 * stop grace period longer than the guard's drain, the image's HEALTHCHECK on /readyz with no
 * curl, no dev tools in the runtime stage, every mounted profile valid by the guard's own loader,
 * and the addresses of the profiles, the compose networks and the Kamailio recipe agreeing, the
 * AS never matched by Kamailio's core-side address.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { loadProfile } from '../../src/profile/load-profile.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import { checkDispatcherConfig, kamailioDispatcherMissing } from '../helpers/kamailio.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCKER = join(ROOT, 'docker');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  readonly image?: string;
  readonly build?: { readonly dockerfile: string };
  readonly command?: readonly string[];
  readonly volumes?: readonly string[];
  readonly profiles?: readonly string[];
  readonly stop_grace_period?: string;
  readonly networks: Readonly<Record<string, { readonly ipv4_address: string }>>;
}

const compose = parse(read('docker/docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** The drain both front ends give calls in progress on SIGTERM (their `stop(graceMs = ...)` default). */
function drainSeconds(): number {
  const values = ['src/front/embedded/embedded-guard.ts', 'src/front/drachtio/drachtio-guard.ts'].map((file) => {
    const m = /stop\(graceMs = ([\d_]+)\)/.exec(read(file));
    return Number((m?.[1] ?? 'NaN').replace(/_/g, '')) / 1000;
  });
  return Math.max(...values);
}

function seconds(period: string | undefined): number {
  const m = /^(\d+)(s|m)$/.exec(period ?? '');
  return m === null ? NaN : Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

const guardServices = Object.entries(services).filter(([, s]) => s.build?.dockerfile === 'docker/Dockerfile');

/** The profile a guard service runs: the file mounted at the path its command names. */
function mountedProfile(service: Service): { file: string; profile: Profile } {
  const inContainer = service.command?.[service.command.indexOf('--profile') + 1] ?? '';
  const volume = service.volumes?.find((v) => v.split(':')[1] === inContainer) ?? '';
  const file = resolve(DOCKER, volume.split(':')[0] ?? '');
  return { file, profile: loadProfile(file) };
}

t.test('the topology: Kamailio, two guards behind it, Redis; drachtio-server only in its own profile', async (t) => {
  const always = Object.entries(services).filter(([, s]) => s.profiles === undefined).map(([name]) => name).sort();
  t.same(always, ['guard-1', 'guard-2', 'kamailio', 'redis']);
  t.same(services.drachtio?.profiles, ['drachtio']);
  t.same(services['guard-drachtio']?.profiles, ['drachtio']);
  t.same(Object.keys(services.kamailio?.networks ?? {}).sort(), ['as', 'core'], 'Kamailio has a core side and an AS side');
});

t.test('images are pinned to exact versions', async (t) => {
  for (const [name, service] of Object.entries(services)) {
    if (service.build === undefined) {
      t.match(service.image, /^[\w./-]+:\d+\.\d+\.\d+(-[\w.]+)?$/, `${name}: ${service.image ?? 'no image'}`);
    }
  }
  for (const file of ['docker/Dockerfile', 'docker/kamailio/Dockerfile']) {
    const text = read(file);
    const bases = [...text.matchAll(/^ARG (?:NODE|BASE)_IMAGE=(\S+)$/gm)].map((m) => m[1]);
    t.ok(bases.length > 0, `${file} names its base in an ARG`);
    for (const base of bases) {
      t.match(base, /^node:20\.\d+\.\d+-bookworm-slim$/, `${file}: ${base}`);
    }
    t.notMatch(text, /^FROM (?!\$\{)/m, `${file}: every FROM is the pinned ARG`);
  }
  t.match(read('docker/kamailio/Dockerfile'), /apt-get install[^\n]*kamailio=\d+\.\d+\.\d+-\d+/, 'the Kamailio package version is pinned');
});

t.test('the guards stop within their grace period: longer than the drain', async (t) => {
  const drain = drainSeconds();
  t.ok(drain > 0, `the drain is ${drain} s`);
  t.ok(guardServices.length >= 2);
  for (const [name, service] of guardServices) {
    t.ok(seconds(service.stop_grace_period) > drain, `${name}: stop_grace_period ${service.stop_grace_period ?? 'unset'} > ${drain} s`);
  }
});

t.test('the image: HEALTHCHECK on /readyz with node, dc-guard on the PATH, no dev tools at run time', async (t) => {
  const text = read('docker/Dockerfile');
  const stages = text.split(/^FROM /m).slice(1);
  t.equal(stages.length, 2, 'a build stage and a runtime stage');
  const runtime = stages[1] ?? '';
  const health = /^HEALTHCHECK .*\n(?:.*\\\n)*.*$/m.exec(runtime)?.[0] ?? /^HEALTHCHECK[\s\S]*?CMD \[.*\]$/m.exec(runtime)?.[0] ?? '';
  t.match(health, /CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:9090\/readyz'\)/, 'node fetches /readyz on the admin port');
  t.match(health, /status === 200 \? 0 : 1/, 'healthy only on 200');
  t.notMatch(text.replace(/^#.*$/gm, ''), /\bcurl\b|\bwget\b/, 'no curl or wget');
  t.match(runtime, /npm ci --omit=dev/, 'production dependencies only');
  t.notMatch(runtime, /COPY --from=build \/app\/node_modules/, "the build stage's node_modules (dev tools) are not copied");
  t.match(runtime, /rm -rf (?:[^\n]*\\\n)*[^\n]*\/usr\/local\/bin\/npm\s/, 'npm leaves the runtime image');
  t.match(runtime, /> \/usr\/local\/bin\/dc-guard/, 'dc-guard is written to /usr/local/bin');
  t.match(runtime, /^ENTRYPOINT \["dc-guard"\]$/m);
  t.match(runtime, /^USER node$/m, 'not root');
  const defaultProfile = /^COPY (docker\/\S+\.yaml) \/etc\/dc-guard\/guard\.yaml$/m.exec(runtime)?.[1] ?? '';
  const profile = loadProfile(join(ROOT, defaultProfile));
  t.ok(profile.sip.listen.every((l) => l.host === '0.0.0.0'), 'the default profile listens on 0.0.0.0');
  t.same(profile.admin === null ? null : { host: profile.admin.host, port: profile.admin.port }, { host: '0.0.0.0', port: 9090 }, 'its admin listener is where the HEALTHCHECK asks');
  t.ok(existsSync(join(ROOT, 'bin/dc-guard.js')));
});

t.test('every mounted profile validates with the guard\'s loader and agrees with the compose addresses', async (t) => {
  const kamailio = services.kamailio?.networks ?? {};
  const kamCore = kamailio.core?.ipv4_address ?? '';
  const kamAs = kamailio.as?.ipv4_address ?? '';
  const redisIp = services.redis?.networks.core?.ipv4_address ?? '';
  const behindKamailio = guardServices.filter(([name]) => name !== 'guard-drachtio');
  const texts: string[] = [];
  for (const [name, service] of guardServices) {
    const { file, profile } = mountedProfile(service);
    t.ok(profile.admin !== null && profile.admin.port === 9090, `${name}: admin listener on 9090 for the HEALTHCHECK`);
    t.equal(profile.state.store, 'redis', `${name}: shared state`);
    t.match(profile.state.url, new RegExp(`^redis://${redisIp.replace(/\./g, '\\.')}:6379/`), `${name}: the compose Redis`);
    if (profile.sip.listen.some((l) => l.host === '0.0.0.0')) {
      t.not(profile.sip.publicUri, null, `${name}: listening on 0.0.0.0, it names its own address`);
    }
    if (behindKamailio.some(([n]) => n === name)) {
      texts.push(readFileSync(file, 'utf8').replace(/^#.*\n/gm, '').replace(/public_uri: .*/, ''));
      t.equal(profile.sip.publicUri, `sip:${service.networks.core?.ipv4_address ?? ''}:5060`, `${name}: public_uri is its core address`);
      const core = profile.peers.find((p) => p.trusted);
      const untrusted = profile.peers.filter((p) => !p.trusted);
      t.ok(core?.sources.includes(`${kamCore}/32`), `${name}: Kamailio's core side is the core`);
      t.ok(untrusted.length > 0 && untrusted.every((p) => p.sources.includes(`${kamAs}/32`)), `${name}: Kamailio's AS side is the AS`);
      t.notOk(untrusted.some((p) => p.sources.includes(`${kamCore}/32`)), `${name}: the AS is never Kamailio's core side`);
      t.notOk(core?.sources.includes(`${kamAs}/32`), `${name}: the core is never Kamailio's AS side`);
    }
  }
  t.equal(new Set(texts).size, 1, 'the guards behind Kamailio run the same profile but for public_uri');
});

t.test('the Kamailio recipe: its defaults are the compose addresses, its list names the guards from each side', async (t) => {
  const cfg = read('docker/kamailio/dispatcher.cfg');
  const kam = services.kamailio?.networks ?? {};
  t.match(cfg, new RegExp(`#!define CORE_LISTEN udp:${kam.core?.ipv4_address ?? '?'}:5060`));
  t.match(cfg, new RegExp(`#!define AS_LISTEN udp:${kam.as?.ipv4_address ?? '?'}:5060`));
  const entries = read('docker/kamailio/dispatcher.list')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/));
  const behind = guardServices.filter(([name]) => name !== 'guard-drachtio').map(([, s]) => s);
  for (const [set, side] of [
    ['1', 'core'],
    ['2', 'as'],
  ] as const) {
    const ofSet = entries.filter((e) => e[0] === set);
    t.same(
      ofSet.map((e) => e[1]),
      behind.map((s) => `sip:${s.networks[side]?.ipv4_address ?? '?'}:5060`),
      `set ${set}: every guard by its ${side} address, in the same order (one Call-ID, one guard)`,
    );
    t.ok(ofSet.every((e) => e[4] === `socket=udp:${kam[side]?.ipv4_address ?? '?'}:5060`), `set ${set} leaves from Kamailio's ${side} side`);
    t.ok(ofSet.every((e) => e[2] === '9'), `set ${set}: a guard gets calls only once its pings are answered`);
  }
});

t.test('the shipped dispatcher.cfg parses and its modules load (kamailio -c)', { skip: kamailioDispatcherMissing() ?? false }, async (t) => {
  const check = checkDispatcherConfig({ coreListen: 'udp:127.0.0.1:5060', asListen: 'udp:127.0.0.1:5062', guards: ['sip:127.0.0.1:5064'] });
  t.ok(check.ok, 'kamailio -c accepts it', { output: check.output.slice(-2000) });
  t.equal(spawnSync('grep', ['-c', 'loadmodule', join(DOCKER, 'kamailio/dispatcher.cfg')], { encoding: 'utf8' }).status, 0);
});
