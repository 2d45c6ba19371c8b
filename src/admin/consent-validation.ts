/**
 * Checks a consent record sent to the admin API as the profile loader checks `consent.users`:
 * the same schema definition (sip-profiles/profile.schema.json `consentRecord`, through ajv),
 * the same identity pattern, entries naming peers of the profile in force.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ConsentRecord, Profile } from '../profile/profile-types.ts';
import { PROFILE_SCHEMA_URL } from '../profile/schema-check.ts';

interface Compiled {
  readonly record: ValidateFunction;
  readonly userPattern: RegExp;
  readonly userMessage: string;
}

let compiled: Compiled | undefined;

function schema(): Compiled {
  if (compiled === undefined) {
    const document = JSON.parse(readFileSync(PROFILE_SCHEMA_URL, 'utf8')) as {
      $id: string;
      properties: { consent: { properties: { users: { propertyNames: { pattern: string; patternErrorMessage: string } } } } };
    };
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addVocabulary(['patternErrorMessage']);
    ajv.addSchema(document);
    const record = ajv.getSchema(`${document.$id}#/definitions/consentRecord`);
    if (record === undefined) {
      throw new Error('profile.schema.json has no definitions/consentRecord');
    }
    const names = document.properties.consent.properties.users.propertyNames;
    compiled = { record, userPattern: new RegExp(names.pattern), userMessage: names.patternErrorMessage };
  }
  return compiled;
}

/** The user of a `/consent/{user}` path (already URL-decoded): null when it is one, else why not. */
export function userProblem(user: string): string | null {
  const { userPattern, userMessage } = schema();
  return userPattern.test(user) ? null : `user: ${userMessage} (got ${JSON.stringify(user)})`;
}

export type RecordCheck = { readonly ok: true; readonly record: ConsentRecord } | { readonly ok: false; readonly errors: readonly string[] };

/** A request body's record, defaults filled (`allow`, `deny`: []), or every problem with it. */
export function checkConsentRecord(body: unknown, profile: Profile): RecordCheck {
  const { record: validate } = schema();
  if (!validate(body)) {
    return { ok: false, errors: (validate.errors ?? []).map(describeError) };
  }
  const raw = body as { allow?: string[]; deny?: string[]; apps_only?: string[] };
  const record: ConsentRecord = { allow: raw.allow ?? [], deny: raw.deny ?? [], ...(raw.apps_only === undefined ? {} : { appsOnly: raw.apps_only }) };
  const peerIds = profile.peers.map((peer) => peer.id);
  const errors: string[] = [];
  for (const list of ['allow', 'deny'] as const) {
    record[list].forEach((entry, index) => {
      const peerId = entry.split(':', 1)[0] ?? entry;
      if (!peerIds.includes(peerId)) {
        const defined = peerIds.length === 0 ? 'no peers are defined' : `peers: ${peerIds.join(', ')}`;
        errors.push(`${list}[${index}]: unknown peer ${JSON.stringify(peerId)} (${defined})`);
      }
    });
  }
  return errors.length === 0 ? { ok: true, record } : { ok: false, errors };
}

function describeError(error: ErrorObject): string {
  const at = error.instancePath === '' ? 'record' : error.instancePath.slice(1).replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
  const parent = (error.parentSchema ?? {}) as { patternErrorMessage?: unknown };
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${at}: unknown key ${JSON.stringify(params.additionalProperty)} (known keys: allow, deny, apps_only)`;
    case 'pattern':
      return `${at}: ${typeof parent.patternErrorMessage === 'string' ? parent.patternErrorMessage : 'has the wrong form'} (got ${JSON.stringify(error.data)})`;
    case 'type':
      return `${at}: must be ${params.type === 'array' ? 'a list' : params.type === 'object' ? 'an object {allow: [...], deny: [...], apps_only: [...]}' : `a ${String(params.type)}`}`;
    default:
      return `${at}: ${error.message ?? `fails ${error.keyword}`}`;
  }
}
