/**
 * A machine key from a human name, for imports and the API: "Shoe size (EU)" → "shoe_size_eu".
 * Accents are dropped, anything else becomes "_", and a key that would not start with a letter
 * gets `prefix` so the server's pattern (a letter first) accepts it.
 */
export function keyFromName(
  name: string,
  { prefix, maxLength }: { prefix: string; maxLength: number },
): string {
  const key = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, maxLength);
  if (!key) return '';
  return /^[a-z]/.test(key) ? key : `${prefix}${key}`.slice(0, maxLength);
}
