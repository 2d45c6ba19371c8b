/**
 * `s` as a string of its own. A parsed message's values are slices of the whole message text,
 * and V8 keeps a slice as a pointer into its parent: whatever outlives the message (a cache, a
 * transaction kept 32 s) and keeps a slice keeps the whole text. Concatenating and slicing
 * again makes a flat copy, so the parent can be collected.
 */
export function ownString(s: string): string {
  return s.length === 0 ? s : ` ${s}`.slice(1);
}
