/**
 * The guard's TLS material (RFC 3261 26.2.1, RFC 5630, RFC 5922), read once from `sip.tls`
 * when the transport starts: its certificate and key, presented both as server and as
 * client (mutual authentication), the CAs it accepts peers' certificates from, and the
 * lowest TLS version it speaks.
 *
 * The files are read at start, not when the profile is validated: a profile names paths on
 * the host it runs on (the example's /etc/dc-guard/tls/... exists only there), so
 * `dc-guard validate` checks the profile's shape and `dc-guard run` checks the files. Every
 * problem is a `TlsSettingsError` that names the profile key and the file, so the operator
 * knows which line to fix.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

/** What `sip.tls` says (the profile's TlsSettings is this type: the profile points at the transport, not back). */
export interface TlsSettings {
  readonly certificateFile: string;
  readonly keyFile: string;
  readonly caFiles: readonly string[];
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly requireClientCertificate: boolean;
}

/** A `sip.tls` setting that cannot be used; the message starts with the profile key. */
export class TlsSettingsError extends Error {
  /** The key as a profile path (`['sip', 'tls', 'ca', 1]`), for finding its line. */
  readonly path: readonly (string | number)[];

  constructor(
    readonly key: string,
    readonly file: string,
    reason: string,
  ) {
    super(`${key} (${file}): ${reason}`);
    this.name = 'TlsSettingsError';
    this.path = key.split(/[.[\]]/).filter((part) => part !== '').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  }
}

export interface TlsMaterial {
  /** For a TLS listener: the guard's certificate, and a client certificate asked for and checked against the CAs. */
  readonly server: tls.TlsOptions;
  /** For connections the guard opens: its certificate as client certificate; the server's checked against the CAs. */
  readonly client: tls.ConnectionOptions;
  readonly requireClientCertificate: boolean;
}

/** Reads and checks every file `sip.tls` names. Throws TlsSettingsError. */
export function loadTlsMaterial(settings: TlsSettings, now: Date = new Date()): TlsMaterial {
  const certPem = readPem('sip.tls.certificate', settings.certificateFile);
  const keyPem = readPem('sip.tls.key', settings.keyFile);
  const certificate = parseCertificate('sip.tls.certificate', settings.certificateFile, certPem, now);
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw new TlsSettingsError('sip.tls.key', settings.keyFile, `not a private key (${describe(error)})`);
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new TlsSettingsError('sip.tls.key', settings.keyFile, `not the key of sip.tls.certificate (${settings.certificateFile})`);
  }
  if (settings.caFiles.length === 0) {
    throw new TlsSettingsError('sip.tls.ca', '-', 'no CA: no peer certificate could ever be accepted');
  }
  const ca = settings.caFiles.map((file, i) => {
    const pem = readPem(`sip.tls.ca[${i}]`, file);
    parseCertificate(`sip.tls.ca[${i}]`, file, pem, now);
    return pem;
  });
  const common = { cert: certPem, key: keyPem, ca, minVersion: settings.minVersion } as const;
  try {
    // Catches what the checks above do not (an unsupported key type, a CA OpenSSL refuses).
    tls.createSecureContext(common);
  } catch (error) {
    throw new TlsSettingsError('sip.tls', settings.certificateFile, `OpenSSL refuses it: ${describe(error)}`);
  }
  return {
    server: { ...common, requestCert: true, rejectUnauthorized: settings.requireClientCertificate },
    client: { ...common, rejectUnauthorized: true },
    requireClientCertificate: settings.requireClientCertificate,
  };
}

function readPem(key: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : describe(error);
    throw new TlsSettingsError(key, file, `cannot read it (${why})`);
  }
  if (!text.includes('-----BEGIN ')) {
    throw new TlsSettingsError(key, file, 'not a PEM file (no -----BEGIN line)');
  }
  return text;
}

/** The first certificate of a PEM file, which must be one and valid now. */
function parseCertificate(key: string, file: string, pem: string, now: Date): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw new TlsSettingsError(key, file, `not a certificate (${describe(error)})`);
  }
  if (new Date(certificate.validTo).getTime() < now.getTime()) {
    throw new TlsSettingsError(key, file, `expired on ${certificate.validTo}`);
  }
  if (new Date(certificate.validFrom).getTime() > now.getTime()) {
    throw new TlsSettingsError(key, file, `not valid before ${certificate.validFrom}`);
  }
  return certificate;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
