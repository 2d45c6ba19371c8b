import type { Profile } from '../profile/profile-types.ts';

export class MissingPseudonymKeyError extends Error {
  constructor(readonly envName: string, readonly peers: readonly string[]) {
    super(
      `peers ${peers.join(', ')} use identity: pseudonym but ${envName} is not set ` +
        `(give it 32 random bytes, hex or base64, e.g. ${envName}=$(openssl rand -hex 32))`,
    );
    this.name = 'MissingPseudonymKeyError';
  }
}

/**
 * Reads the HMAC key named by `privacy.pseudonym_key_env`. The guard refuses to start when a
 * peer needs pseudonyms and there is no key: a made-up key would change every pseudonym on restart.
 */
export function resolvePseudonymKey(profile: Profile, env: Readonly<Record<string, string | undefined>>): Buffer | null {
  const envName = profile.privacy.pseudonymKeyEnv;
  const text = env[envName]?.trim();
  const needing = profile.peers.filter((p) => p.identity === 'pseudonym').map((p) => p.id);
  if (text === undefined || text === '') {
    if (needing.length > 0) {
      throw new MissingPseudonymKeyError(envName, needing);
    }
    return null;
  }
  const key = /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length < 16) {
    throw new Error(`${envName} must hold at least 16 bytes of key (hex or base64); it holds ${key.length}`);
  }
  return key;
}
