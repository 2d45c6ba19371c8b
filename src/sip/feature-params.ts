/**
 * Feature parameters: the media feature tags of a Contact (RFC 3840 9), of an Accept-Contact
 * value (RFC 3841 10) and the feature-capability indicators of Feature-Caps (RFC 6809 6.3), which
 * share one grammar:
 *
 *   feature-param   = enc-feature-tag [EQUAL LDQUOT (tag-value-list / string-value) RDQUOT]
 *   enc-feature-tag = base-tags / "+" ftag-name
 *   ftag-name       = ALPHA *( ALPHA / DIGIT / "!" / "'" / "." / "-" / "%" )
 *   tag-value-list  = tag-value *("," tag-value)
 *   tag-value       = ["!"] (token-nobang / boolean / numeric)
 *   numeric         = "#" numeric-relation number ; ">=" / "<=" / "=" / (number ":")
 *   string-value    = "<" *(qdtext-no-abkt / quoted-pair) ">"
 *
 * A parameter is read into a value the guard re-writes itself (`formatFeatureParam`), never
 * passed on as the peer wrote it: what does not read exactly as this grammar (an unquoted
 * value, an empty list, a control character, a name outside it) is not a feature parameter,
 * and `readFeatureParam` says null. Names are lower-cased: RFC 3840 9 compares them
 * case-insensitively, and a receiver must not see two spellings of one tag.
 */
import { formatParams } from './header-values.ts';

/** RFC 3840 9 base-tags: the `sip.` tree written without its `+sip.` prefix. */
export const BASE_TAGS: ReadonlySet<string> = new Set([
  'audio',
  'automata',
  'class',
  'duplex',
  'data',
  'control',
  'mobility',
  'description',
  'events',
  'priority',
  'methods',
  'schemes',
  'application',
  'video',
  'language',
  'type',
  'isfocus',
  'actor',
  'text',
  'extensions',
]);

export type FeatureValue =
  /** No value: the tag is TRUE (RFC 3840 9: "a feature tag without a value is a boolean TRUE"). */
  | { readonly kind: 'flag' }
  /** tag-value-list, each value as written (with its "!" if negated). */
  | { readonly kind: 'tokens'; readonly values: readonly string[] }
  /** string-value: the text between "<" and ">", quoted-pairs kept as written. */
  | { readonly kind: 'string'; readonly text: string };

export interface FeatureParam {
  /** Lower-cased: `+sip.app-subtype`, `video`. */
  readonly name: string;
  readonly value: FeatureValue;
}

const FTAG_NAME = /^\+[a-z][a-z0-9!'.%-]*$/;
/** token-nobang, boolean (a token too) or numeric, with an optional "!" (RFC 3840 9). */
const TAG_VALUE = /^!?(?:[A-Za-z0-9.%*_+`'~-]+|#(?:>=|<=|=|[+-]?[0-9]+(?:\.[0-9]*)?:)[+-]?[0-9]+(?:\.[0-9]*)?)$/;

/** True when `name` (lower-cased) is an enc-feature-tag; `plusOnly` for Feature-Caps (RFC 6809 6.3: "+" fcap-name only). */
export function isFeatureTagName(name: string, plusOnly = false): boolean {
  return FTAG_NAME.test(name) || (!plusOnly && BASE_TAGS.has(name));
}

/**
 * One header parameter (`name`, `value` as `parseGenericParams` gives it: quotes kept) read as
 * a feature parameter, or null when it is not one or does not read as the grammar says.
 */
export function readFeatureParam(name: string, value: string | null, plusOnly = false): FeatureParam | null {
  const lower = name.toLowerCase();
  if (!isFeatureTagName(lower, plusOnly)) {
    return null;
  }
  if (value === null) {
    return { name: lower, value: { kind: 'flag' } };
  }
  // LDQUOT ... RDQUOT: a feature value is always quoted, and nothing escapes the quotes.
  if (value.length < 3 || !value.startsWith('"') || !value.endsWith('"')) {
    return null;
  }
  const inner = value.slice(1, -1);
  if (inner.startsWith('<')) {
    return isStringValue(inner) ? { name: lower, value: { kind: 'string', text: inner.slice(1, -1) } } : null;
  }
  const values = inner.split(',');
  return values.every((v) => TAG_VALUE.test(v)) ? { name: lower, value: { kind: 'tokens', values } } : null;
}

/**
 * `<` *(qdtext-no-abkt / quoted-pair) `>`: no raw `"`, `<`, `>` or `\` inside, a quoted-pair
 * escapes one visible character (control characters refused, even escaped: a receiver that
 * unescapes would see what the guard did not).
 */
function isStringValue(s: string): boolean {
  if (s.length < 2 || !s.endsWith('>')) {
    return false;
  }
  for (let i = 1; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0x20 && next <= 0x7e) || i + 1 >= s.length - 1) {
        return false;
      }
      i++;
    } else if (c === 0x22 || c === 0x3c || c === 0x3e || (c < 0x20 && c !== 0x09) || c === 0x7f) {
      return false;
    }
  }
  return true;
}

/** `;name`, `;name="a,b"` or `;name="<text>"`: RFC 3840 9 syntax, whatever the peer wrote. */
export function formatFeatureParams(params: readonly FeatureParam[]): string {
  return formatParams(params.map((p): [string, string | null] => [p.name, formatValue(p.value)]));
}

function formatValue(value: FeatureValue): string | null {
  switch (value.kind) {
    case 'flag':
      return null;
    case 'tokens':
      return `"${value.values.join(',')}"`;
    case 'string':
      return `"<${value.text}>"`;
  }
}

/**
 * The feature parameters of one parameter list, in order; every other parameter is left out.
 * A tag that appears twice is left out altogether: which one a receiver honours is its own
 * choice, and the guard must not decide on one while the receiver reads the other.
 */
export function featureParamsOf(params: ReadonlyArray<readonly [string, string | null]>, plusOnly = false): FeatureParam[] {
  const read = params.map(([name, value]) => readFeatureParam(name, value, plusOnly)).filter((p): p is FeatureParam => p !== null);
  const seen = new Map<string, number>();
  for (const [name] of params) {
    const lower = name.toLowerCase();
    seen.set(lower, (seen.get(lower) ?? 0) + 1);
  }
  return read.filter((p) => seen.get(p.name) === 1);
}
