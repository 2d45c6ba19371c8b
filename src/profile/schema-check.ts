/**
 * Checks a parsed profile against sip-profiles/profile.schema.json and turns ajv's errors
 * into `path: reason` problems on the line the offending key or value is written on.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ProfileProblem } from './profile-error.ts';
import { pathText } from './profile-source.ts';
import type { ProfilePath, ProfileSource } from './profile-source.ts';

/** The schema file shipped next to the profiles (same relative place from src/ and from a dist/ build). */
export const PROFILE_SCHEMA_URL = new URL('../../sip-profiles/profile.schema.json', import.meta.url);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(PROFILE_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    // An annotation the YAML/JSON language servers show in editors; the loader uses it too.
    ajv.addVocabulary(['patternErrorMessage']);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

interface Located {
  readonly line: number;
  readonly reason: string;
  /** Which error wins when several are about the same value (lower wins). */
  readonly rank: number;
  readonly key: string;
}

/** Problems in document order, at most one per value; empty when the schema accepts the data. */
export function schemaProblems(source: ProfileSource): ProfileProblem[] {
  const validate = validator();
  if (validate(source.data)) {
    return [];
  }
  const best = new Map<string, Located>();
  for (const error of validate.errors ?? []) {
    const located = locate(error, source);
    if (located === undefined) {
      continue;
    }
    const previous = best.get(located.key);
    if (previous === undefined || located.rank < previous.rank) {
      best.set(located.key, located);
    }
  }
  return [...best.values()]
    .map((located, order) => ({ located, order }))
    .sort((a, b) => a.located.line - b.located.line || a.order - b.order)
    .map(({ located }) => ({ line: located.line, reason: located.reason }));
}

function locate(error: ErrorObject, source: ProfileSource): Located | undefined {
  const path = toPath(error.instancePath, source.data);
  const at = pathText(path);
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  const value: unknown = error.data;
  const params = error.params as Record<string, unknown>;
  const plain = (rank: number, reason: string): Located => ({
    line: source.lineOf(path),
    reason: `${at}: ${reason}`,
    rank,
    key: error.instancePath,
  });

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys(parent.properties ?? {});
      const where = path.length === 0 ? 'unknown top-level key' : `${at}: unknown key`;
      return {
        line: source.keyLineOf(path, key),
        reason: `${where} ${JSON.stringify(key)} (${suggest(key, known)})`,
        rank: 0,
        key: `${error.instancePath}/${key}`,
      };
    }
    case 'required':
      return {
        ...plain(0, `missing required key ${JSON.stringify(params.missingProperty)}`),
        key: `${error.instancePath}/${String(params.missingProperty)}`,
      };
    case 'enum':
      return plain(0, `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')} (got ${describe(value)})`);
    case 'pattern': {
      const message = typeof parent.patternErrorMessage === 'string' ? parent.patternErrorMessage : `must match ${String(params.pattern)}`;
      if (error.propertyName !== undefined) {
        // A key (propertyNames) rather than a value is wrong.
        const keyPath = [...path, error.propertyName];
        return {
          line: source.keyLineOf(path, error.propertyName),
          reason: `${pathText(keyPath)}: ${message} (got ${JSON.stringify(error.propertyName)})`,
          rank: 1,
          key: `${error.instancePath}/${error.propertyName}`,
        };
      }
      return plain(1, `${message} (got ${describe(value)})`);
    }
    case 'propertyNames':
      return undefined; // reported through the inner error, which names the key
    case 'minimum':
      return plain(1, `must be at least ${String(params.limit)} (got ${describe(value)})`);
    case 'exclusiveMinimum':
      return plain(1, `must be more than ${String(params.limit)} (got ${describe(value)})`);
    case 'maximum':
      return plain(1, `must be at most ${String(params.limit)} (got ${describe(value)})`);
    case 'minItems': {
      const limit = Number(params.limit);
      return plain(1, `must have at least ${limit} ${limit === 1 ? 'entry' : 'entries'}`);
    }
    case 'uniqueItems': {
      const first = Math.min(Number(params.i), Number(params.j));
      const again = Math.max(Number(params.i), Number(params.j));
      const items = Array.isArray(value) ? (value as unknown[]) : [];
      const againPath = [...path, again];
      return {
        line: source.lineOf(againPath),
        reason: `${pathText(againPath)}: duplicate entry ${describe(items[again])} (first at line ${source.lineOf([...path, first])})`,
        rank: 1,
        key: `${error.instancePath}/${again}`,
      };
    }
    case 'type':
      return plain(2, `must be ${typeNames(params.type)} (got ${describe(value)}${emptyHint(params.type, value)})`);
    default:
      return plain(3, error.message ?? `fails ${error.keyword}`);
  }
}

/** ajv's instancePath ("/peers/1/grants") as keys and indexes, reading the data to tell which is which. */
function toPath(pointer: string, data: unknown): ProfilePath {
  if (pointer === '') {
    return [];
  }
  const path: (string | number)[] = [];
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      const index = Number(segment);
      path.push(index);
      current = current[index];
    } else {
      path.push(segment);
      current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

function typeNames(type: unknown): string {
  const types = Array.isArray(type) ? type.map(String) : String(type).split(',');
  return types.map((name) => TYPE_NAMES[name] ?? name).join(' or ');
}

/** How a value reads in a message: strings quoted, collections by kind, YAML's empty value as "nothing". */
function describe(value: unknown): string {
  if (value === null || value === undefined) {
    return 'nothing';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return typeof value === 'object' ? 'a mapping' : typeof value;
}

function emptyHint(type: unknown, value: unknown): string {
  if (value !== null) {
    return '';
  }
  if (type === 'object') {
    return '; write {} for an empty mapping';
  }
  if (type === 'array') {
    return '; write [] for an empty list';
  }
  return '';
}

/** "did you mean ..." for a near miss, otherwise the list of keys that are allowed there. */
function suggest(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3))) {
    return `did you mean ${JSON.stringify(best)}?`;
  }
  return `known keys: ${known.join(', ')}`;
}

/** Optimal string alignment distance: edits, with a swap of two neighbours ("moed"/"mode") counting as one. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      const row = rows[i];
      if (row !== undefined) {
        row[j] = best;
      }
    }
  }
  return at(a.length, b.length);
}
