/**
 * True when a string has no unpaired UTF-16 surrogate. JSON `\\uD800` escapes can smuggle one in, and
 * such a string cannot be written as UTF-8 (it would come back as U+FFFD).
 */
export function isLoneSurrogateFree(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const low = s.charCodeAt(i + 1);
    if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return false;
    i++;
  }
  return true;
}
