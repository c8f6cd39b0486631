/** Domain names in presentation form (RFC 1035 §5.1 escapes: `\X` and `\DDD`). */

const DOT = 46;
const BACKSLASH = 92;
const MAX_LABEL = 63;
const MAX_NAME = 255;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Octets the character at `i` takes in UTF-8: 1 to 4, or 0 when it is a lone surrogate (which no
 * UTF-8 byte sequence encodes). A surrogate pair counts 4 and spans two string positions.
 */
function utf8Octets(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c < 0xd800 || c > 0xdfff) return 3;
  if (c > 0xdbff) return 0;
  const low = s.charCodeAt(i + 1);
  return low >= 0xdc00 && low <= 0xdfff ? 4 : 0;
}

function lowerAscii(s: string): string {
  // toLowerCase would also fold non-ASCII letters, which DNS compares byte for byte.
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * Canonical key form of a presentation-format name: ASCII letters lowercased (escapes and non-ASCII
 * left as they are), one trailing dot removed (the root stays `.`). Undefined for an empty label, a
 * label over 63 or a name over 255 octets in wire form, a space, control character or DEL, a
 * dangling backslash, a `\DDD` above 255, or a lone UTF-16 surrogate.
 */
export function normalizeName(s: string): string | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  if (n === 1 && s.charCodeAt(0) === DOT) return ".";
  let label = 0;
  let wire = 1;
  let end = n;
  let upper = false;
  let nonAscii = false;
  let i = 0;
  while (i < n) {
    let c = s.charCodeAt(i);
    // Fast path for the usual host-name characters: a-z, 0-9 and "-".
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45) {
      if (++label > MAX_LABEL) return undefined;
      i++;
      continue;
    }
    if (c === DOT) {
      if (label === 0) return undefined;
      wire += label + 1;
      label = 0;
      i++;
      if (i === n) end = n - 1;
      continue;
    }
    if (c === BACKSLASH) {
      if (++i === n) return undefined;
      c = s.charCodeAt(i);
      if (isDigit(c)) {
        if (i + 2 >= n || !isDigit(s.charCodeAt(i + 1)) || !isDigit(s.charCodeAt(i + 2))) return undefined;
        const value = (c - 48) * 100 + (s.charCodeAt(i + 1) - 48) * 10 + (s.charCodeAt(i + 2) - 48);
        if (value > 255) return undefined;
        i += 3;
        label++;
        if (label > MAX_LABEL) return undefined;
        continue;
      }
    }
    if (c < 0x21 || c === 0x7f) return undefined;
    if (c < 0x80) {
      if (c >= 65 && c <= 90) upper = true;
      label++;
      i++;
    } else {
      const octets = utf8Octets(s, i);
      if (octets === 0) return undefined;
      nonAscii = true;
      label += octets;
      i += octets === 4 ? 2 : 1;
    }
    if (label > MAX_LABEL) return undefined;
  }
  if (end === n) wire += label + 1;
  if (wire > MAX_NAME) return undefined;
  const name = end === n ? s : s.slice(0, end);
  if (!upper) return name;
  return nonAscii ? lowerAscii(name) : name.toLowerCase();
}

/** Labels of `name` split on dots that are not backslash-escaped. */
export function splitLabels(name: string): string[] {
  if (name.indexOf("\\") === -1) return name.split(".");
  const labels: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
    } else if (c === DOT) {
      labels.push(name.slice(start, i));
      start = i + 1;
    }
  }
  labels.push(name.slice(start));
  return labels;
}

/**
 * Labels in reverse order (`www.example.com` → `com.example.www`), so that names under one domain
 * share a key prefix. Escaped dots stay inside their label; the root `.` maps to `""`.
 */
export function reverseName(name: string): string {
  if (name === ".") return "";
  return splitLabels(name).reverse().join(".");
}

/** Inverse of {@link reverseName}. */
export function unreverseName(rev: string): string {
  if (rev === "") return ".";
  return splitLabels(rev).reverse().join(".");
}
