/**
 * The SQLite JSON path of one key of an object: `$."name"`, with `"` and `\` escaped so that any
 * key — `a.b`, `q"x`, `a\` — names exactly itself (SQLite reads backslash escapes in a quoted
 * label). Keys cannot hold U+0000: stored JSON is checked for it on the way in.
 *
 * @example jsonKeyPath('say "hi"') // → '$."say \\"hi\\""'
 */
export function jsonKeyPath(key: string): string {
  return `$."${key.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
