/** Small, typed readers for parsed YAML, so that readers state what they expect in one line. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `key` of `value` when `value` is an object, else `undefined`. */
export function field(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}

/** Walks `keys` through nested objects. */
export function fieldAt(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((current, key) => field(current, key), value);
}

/** A string map (labels, matchLabels); `undefined` if `value` is not an object of strings. */
export function asStringMap(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const result: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') return undefined;
    result[key] = v;
  }
  return result;
}
