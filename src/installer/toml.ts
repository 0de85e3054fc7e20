import { RuntimeOptionValue } from '../catalog/types';

/** A TOML basic string: quotes, backslashes and control characters escaped, so a value stays data. */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A TOML value for a runtime option. */
export function tomlValue(value: RuntimeOptionValue): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'number' && !Number.isInteger(value)) {
    throw new Error(`runtime option value ${value} is not an integer`);
  }
  return String(value);
}

/** TOML bare keys: letters, digits, `_` and `-`. Anything else is quoted. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}
