/**
 * How deeply a JSON text nests, found by one pass over its characters before anything parses or recurses into it:
 * a body nested 20,000 levels overflowed the stack of code that walks it (the idempotency fingerprint).
 */

/** Deeper than any request Reelay takes needs. */
export const maxJsonDepth = 32;

/** True when the text's arrays and objects nest deeper than `max` (strings are skipped, escapes and all). */
export function nestsDeeperThan(text: string, max = maxJsonDepth): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
