import { formatNameAddr, parseNameAddr } from './name-addr.ts';

/**
 * The `tag` parameter of a From or To value (RFC 3261 19.3), or null when it has none or
 * cannot be read. Dialogs and transactions are told apart by it.
 */
export function tagOf(value: string | undefined): string | null {
  if (value === undefined) {
    return null;
  }
  try {
    const tag = parseNameAddr(value).params.find(([name]) => name.toLowerCase() === 'tag');
    return tag?.[1] ?? null;
  } catch {
    return null;
  }
}

/** A From or To value without its tag: the party, not the dialog. Unreadable values come back as given. */
export function withoutTag(value: string): string {
  try {
    const addr = parseNameAddr(value);
    return formatNameAddr({ ...addr, params: addr.params.filter(([name]) => name.toLowerCase() !== 'tag') });
  } catch {
    return value;
  }
}
