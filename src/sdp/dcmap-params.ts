/**
 * Parameters of `a=dcmap:<stream-id> <params>` (RFC 8864 section 5.1):
 * `label="a;b";subprotocol="http";max-retr=3;ordered=true;priority=256`.
 *
 * Lenient: parameters are split on `;` outside double quotes, spaces around `;` and `=` are
 * ignored, values may be quoted or not, a parameter may have no value, and an unterminated
 * quote runs to the end of the text. Linear in the input length (no regular expressions).
 * The SDP reader refuses the ambiguous cases first (see dcmapParamsProblem).
 */
export interface DcmapParams {
  /** `label` with surrounding double quotes removed, or null when absent. */
  readonly label: string | null;
  /** `subprotocol` with surrounding double quotes removed, or null when absent. */
  readonly subprotocol: string | null;
  /** Every parameter in order, name and value as written (trimmed; quotes kept), null value when there is no `=`. */
  readonly params: Array<[string, string | null]>;
}

export function parseDcmapParams(text: string): DcmapParams {
  const params: Array<[string, string | null]> = [];
  let label: string | null = null;
  let subprotocol: string | null = null;
  let start = 0;
  let inQuotes = false;
  const n = text.length;
  for (let i = 0; i <= n; i += 1) {
    const c = i < n ? text.charCodeAt(i) : 59; // end of text acts as a final ';'
    if (c === 34) {
      inQuotes = !inQuotes;
    } else if (c === 59 && (!inQuotes || i === n)) {
      const part = text.slice(start, i);
      start = i + 1;
      const eq = part.indexOf('=');
      const name = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (name === '') {
        continue;
      }
      const value = eq < 0 ? null : part.slice(eq + 1).trim();
      params.push([name, value]);
      const lower = name.toLowerCase();
      if (lower === 'label' && label === null) {
        label = value === null ? '' : unquote(value);
      } else if (lower === 'subprotocol' && subprotocol === null) {
        subprotocol = value === null ? '' : unquote(value);
      }
    }
  }
  return { label, subprotocol, params };
}

function unquote(value: string): string {
  if (!value.startsWith('"')) {
    return value;
  }
  return value.length > 1 && value.endsWith('"') ? value.slice(1, -1) : value.slice(1);
}

/**
 * Why a dcmap parameter text is ambiguous, or null when it is not. The guard classifies a
 * channel by its label and subprotocol (bootstrap = `subprotocol="http"`), so these must read
 * the same to every parser: RFC 8864 5.1 writes them as `quoted-visible-string` (no DQUOTE
 * inside), so a value with a stray, unbalanced or inner quote, which another parser would split
 * differently (`label="x;subprotocol="http"`), is refused, and so is a second label or
 * subprotocol (the guard reads the first, a peer may read the last).
 */
export function dcmapParamsProblem(text: string): string | null {
  const seen = new Set<string>();
  for (const [name, value] of parseDcmapParams(text).params) {
    if (name.includes('"')) {
      return 'has a double quote in a parameter name';
    }
    if (value !== null && value.includes('"')) {
      const quoted = value.length >= 2 && value.startsWith('"') && value.indexOf('"', 1) === value.length - 1;
      if (!quoted) {
        return `has an unbalanced or inner double quote in parameter ${JSON.stringify(name)}`;
      }
    }
    const lower = name.toLowerCase();
    if (lower === 'label' || lower === 'subprotocol') {
      if (seen.has(lower)) {
        return `names ${lower} twice`;
      }
      seen.add(lower);
    }
  }
  return null;
}
