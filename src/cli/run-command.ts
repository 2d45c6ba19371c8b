import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildController } from '../call/build-controller.ts';
import { startAdmin, type AdminListener, type ReloadResult } from '../admin/admin-server.ts';
import { drachtioConnectionFromEnv, type DrachtioConnection } from '../front/drachtio/drachtio-connection.ts';
import { DrachtioGuard } from '../front/drachtio/drachtio-guard.ts';
import { EmbeddedGuard } from '../front/embedded/embedded-guard.ts';
import { logLevelOf } from '../log/log-level.ts';
import { createStdoutLogger } from '../log/logger.ts';
import { resolvePseudonymKey } from '../privacy/pseudonym-key.ts';
import { loadProfile } from '../profile/load-profile.ts';
import { ProfileSource } from '../profile/profile-source.ts';
import type { Profile } from '../profile/profile-types.ts';
import { TlsSettingsError } from '../transport/tls-context.ts';
import type { CliIo } from './cli-io.ts';
import { openServices } from './guard-services.ts';
import { watchParent } from './parent-watch.ts';
import { keysNeedingRestart, reloadedProfile } from './restart-keys.ts';

const USAGE = 'usage: dc-guard run [--profile FILE] [--transport embedded|drachtio]';
const DEFAULT_PROFILE = 'sip-profiles/default.yaml';

/** What runCommand needs of either front end. */
interface RunningFrontEnd {
  replaceController(controller: ReturnType<typeof buildController>, profile: Profile): void;
  stop(): Promise<void>;
  readonly draining: boolean;
}

/**
 * `dc-guard run`: the guard in the signalling path. SIGTERM/SIGINT drain and stop; SIGHUP
 * reloads the profile, and a bad one is refused with its file:line: reason while the running
 * one stays in force.
 *
 * `--transport embedded` (default): the guard's own UDP/TCP/TLS sockets on `sip.listen`; the
 * `sip.tls` files are read here, and one that is missing or unusable stops the start.
 * `--transport drachtio`: a drachtio-srf application of the drachtio-server at DRACHTIO_HOST
 * (default 127.0.0.1) : DRACHTIO_PORT (default 9022), authenticated with DRACHTIO_SECRET
 * (required). drachtio-server owns the SIP sockets; the profile's `sip.public_uri` (else
 * `sip.listen[0]`) must name drachtio-server's SIP address, which the guard writes in Via,
 * Contact and its own Route entries.
 */
export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let profileArg = DEFAULT_PROFILE;
  let transport = 'embedded';
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined || (flag !== '--profile' && flag !== '--transport')) {
      io.stderr(USAGE);
      return 2;
    }
    if (flag === '--profile') {
      profileArg = value;
    } else {
      transport = value;
    }
  }
  if (transport !== 'embedded' && transport !== 'drachtio') {
    io.stderr(`dc-guard run: unknown transport "${transport}" (embedded or drachtio)\n${USAGE}`);
    return 2;
  }
  let connection: DrachtioConnection | null = null;
  if (transport === 'drachtio') {
    const settings = drachtioConnectionFromEnv(io.env);
    if (!settings.ok) {
      io.stderr(`dc-guard run: ${settings.error}`);
      return 2;
    }
    connection = settings.connection;
  }
  const file = resolve(io.cwd, profileArg);
  const level = logLevelOf(io.env.LOG_LEVEL);
  if (!level.ok) {
    io.stderr(`dc-guard run: ${level.reason}`);
    return 2;
  }
  const logger = createStdoutLogger(level.level);
  let profile: Profile;
  try {
    profile = loadProfile(file);
  } catch (error) {
    io.stderr((error as Error).message);
    return 2;
  }
  // One store, one set of rate buckets and one consent store for the process: a reload changes
  // the rules, not the counts. Redis not answering does not stop the start (open-state.ts).
  const services = await openServices(profile, io.env, logger);
  const { store, limiter } = services.state;
  const consent = services.consent.overlay;
  let guard: RunningFrontEnd | null = null;
  let admin: AdminListener | null = null;
  let running = profile;
  let stop: (signal: string) => void = () => {};

  /** SIGHUP and POST /reload: a bad profile is refused with its errors, the running one stays. */
  const reload = (): ReloadResult => {
    try {
      const loaded = loadProfile(file);
      const restart = keysNeedingRestart(running, loaded);
      // The sockets, TLS files, store and admin listener stay as started (the Via and Contact
      // the guard writes keep naming the sockets it really has).
      const next = reloadedProfile(running, loaded);
      guard?.replaceController(buildController(next, { env: io.env, store, limiter, consent }), next);
      running = next;
      logger.info({ profile: file, mode: next.guard.mode }, 'profile reloaded');
      if (restart.length > 0) {
        logger.warn({ profile: file, keys: restart }, 'profile keys changed that only a restart puts in force; the running values stay');
      }
      return { ok: true };
    } catch (error) {
      const reason = (error as Error).message;
      logger.error({ profile: file, reason }, 'profile refused; the running profile stays in force');
      return { ok: false, errors: reason.split('\n') };
    }
  };

  try {
    const controller = buildController(profile, { env: io.env, store, limiter, consent });
    // The audit trail's user pseudonyms under the operator's key: the same in every instance.
    const auditKey = resolvePseudonymKey(profile, io.env);
    const observer = services.metrics;
    guard =
      connection === null
        ? await EmbeddedGuard.start({ profile, controller, logger, auditKey, observer })
        : await DrachtioGuard.start({ profile, controller, logger, connection, auditKey, observer });
    if (profile.admin !== null) {
      admin = await startAdmin({
        settings: profile.admin,
        env: io.env,
        logger,
        metrics: services.metrics,
        isDraining: () => guard?.draining ?? false,
        storeReachable: () => services.state.reachable(),
        reload,
        drain: () => stop('POST /drain'),
        consent: services.consent,
        profile: () => running,
      });
    }
  } catch (error) {
    // A sip.tls file that cannot be used names its key: point at the profile line that holds it.
    const line = error instanceof TlsSettingsError ? lineOfKey(file, error.path) : 0;
    const where = error instanceof TlsSettingsError ? (line > 0 ? `${file}:${line}: ` : `${file}: `) : '';
    io.stderr(`dc-guard run: ${where}${(error as Error).message}`);
    await guard?.stop();
    await services.close();
    return 2;
  }
  const started = guard;
  logger.info(
    { profile: file, mode: profile.guard.mode, transport, peers: profile.peers.map((p) => p.id), pid: process.pid, admin: admin?.address ?? null },
    'guard started',
  );
  const byCertificate = profile.peers.filter((p) => p.certificateSans.length > 0).map((p) => p.id);
  if (connection !== null && (profile.sip.tls !== null || byCertificate.length > 0)) {
    // drachtio-srf hands the guard no certificate of the sender (see README, TLS on drachtio).
    logger.warn(
      { peers: byCertificate },
      'sip.tls is not used on drachtio: drachtio-server terminates TLS, and peers matched by certificate are never recognised (refused as unknown)',
    );
  }

  process.on('SIGHUP', () => void reload());
  return new Promise<number>((done) => {
    let stopping = false;
    stop = (signal: string): void => {
      if (stopping) {
        return;
      }
      stopping = true;
      logger.info({ signal }, 'draining');
      started
        .stop()
        .then(() => admin?.close())
        .then(() => services.close())
        .then(
          () => {
            logger.info({ signal }, 'stopped');
            done(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'stop failed');
            done(1);
          },
        );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    watchParent(io.env, () => {
      logger.warn({}, 'npm, which started the guard, is gone (it does not pass SIGHUP on): stopping; reload with kill -HUP <pid> or POST /reload');
      stop('parent-gone');
    });
  });
}

/** The line of `path` in the profile file (it was just loaded, so it parses); 0 when unreadable. */
function lineOfKey(file: string, path: readonly (string | number)[]): number {
  try {
    return new ProfileSource(readFileSync(file, 'utf8')).lineOf(path);
  } catch {
    return 0;
  }
}
