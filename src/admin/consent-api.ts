/**
 * `GET/PUT/DELETE /consent/{user}`: the admin API's consent records. The user is URL-encoded
 * (`sip%3Aalice%40ims.example.net`, `tel:+15551234`) and normalised like the profile's users; a
 * record written is in force on the next request and overlays the profile's record for that
 * user as a whole until it is deleted. No identity is logged.
 */
import type { ConsentRecord, Profile } from '../profile/profile-types.ts';
import { normaliseIdentity } from '../sip/normalise-identity.ts';
import type { ConsentStore } from '../state/consent-store.ts';
import { errorReply, jsonReply, type AdminReply } from './admin-reply.ts';
import { checkConsentRecord, userProblem } from './consent-validation.ts';

export interface ConsentApiDeps {
  readonly store: ConsentStore;
  /** The profile in force (its peers validate entries; its records answer GET when the API has none). */
  readonly profile: () => Profile;
}

/** The normalised user of a decoded path segment, or the 400 saying why not. */
function userOf(segment: string): { user: string } | { reply: AdminReply } {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return { reply: errorReply(400, 'user: not a valid URL-encoded identity') };
  }
  const problem = userProblem(decoded);
  return problem === null ? { user: normaliseIdentity(decoded) } : { reply: errorReply(400, problem) };
}

function profileRecord(profile: Profile, user: string): Profile['consent']['users'][string] | undefined {
  for (const [identity, record] of Object.entries(profile.consent.users)) {
    if (normaliseIdentity(identity) === user) {
      return record;
    }
  }
  return undefined;
}

function unavailable(error: unknown): AdminReply {
  return errorReply(503, 'consent store unavailable: the change was not confirmed; repeat it once the store is back', { detail: error instanceof Error ? error.message : String(error) });
}

export function getConsent(deps: ConsentApiDeps, segment: string): AdminReply {
  const parsed = userOf(segment);
  if ('reply' in parsed) {
    return parsed.reply;
  }
  const { user } = parsed;
  const api = deps.store.get(user);
  if (api !== undefined) {
    return jsonReply(200, { user, source: 'api', ...recordJson(api) });
  }
  const profile = deps.profile();
  const written = profileRecord(profile, user);
  if (written !== undefined) {
    return jsonReply(200, { user, source: 'profile', ...recordJson(written) });
  }
  return errorReply(404, 'no consent record for this user', { user, default: profile.consent.default });
}

export async function putConsent(deps: ConsentApiDeps, segment: string, body: string): Promise<AdminReply> {
  const parsed = userOf(segment);
  if ('reply' in parsed) {
    return parsed.reply;
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return errorReply(400, `body: not JSON (${(error as Error).message})`, { errors: ['body: not JSON'] });
  }
  const checked = checkConsentRecord(value, deps.profile());
  if (!checked.ok) {
    return errorReply(400, `invalid consent record: ${checked.errors.join('; ')}`, { errors: checked.errors });
  }
  try {
    await deps.store.put(parsed.user, checked.record);
  } catch (error) {
    return unavailable(error);
  }
  return jsonReply(200, { user: parsed.user, source: 'api', ...recordJson(checked.record) });
}

export async function deleteConsent(deps: ConsentApiDeps, segment: string): Promise<AdminReply> {
  const parsed = userOf(segment);
  if ('reply' in parsed) {
    return parsed.reply;
  }
  let deleted: boolean;
  try {
    deleted = await deps.store.delete(parsed.user);
  } catch (error) {
    return unavailable(error);
  }
  if (!deleted) {
    return errorReply(404, 'no consent record made through the API for this user (a profile record can only be overlaid: PUT one)', { user: parsed.user });
  }
  const now = profileRecord(deps.profile(), parsed.user) === undefined ? 'default' : 'profile';
  return jsonReply(200, { user: parsed.user, deleted: true, inForce: now });
}

/** A record as the API writes it: the profile's key names (`apps_only` only when the record has one). */
function recordJson(record: ConsentRecord): Record<string, readonly string[]> {
  return { allow: record.allow, deny: record.deny, ...(record.appsOnly === undefined ? {} : { apps_only: record.appsOnly }) };
}
