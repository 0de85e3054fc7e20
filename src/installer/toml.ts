import { RuntimeOptionValue } from '../catalog/types';

/**
 * Longest string option value: every value travels in one environment variable (Linux caps one
 * at 128 KiB) and through the installer's TOML parser on every node.
 */
export const MAX_TOML_STRING = 4096;

/**
 * Why `value` cannot become a TOML value that every installer accepts and containerd reads as
 * written; `undefined` when it can. Strings: no NUL (the installer refuses it, containerd's TOML
 * cannot hold it), no unpaired UTF-16 surrogate (not a Unicode character, so not UTF-8),
 * bounded length. Integers: exact in JavaScript (|n| <= 2^53 - 1), so they render as decimal
 * TOML integers (1e21 would render as "1e+21", which is no TOML integer) and never change.
 */
export function tomlValueProblem(value: unknown): string | undefined {
  if (typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return `${value} is not an integer`;
    if (!Number.isSafeInteger(value)) return `${value} is beyond ±(2^53 - 1), where integers stay exact`;
    return undefined;
  }
  if (typeof value !== 'string') return 'must be a string, an integer or a boolean';
  if (value.length > MAX_TOML_STRING) return `is longer than ${MAX_TOML_STRING} characters`;
  if (value.includes('\0')) return 'contains a NUL character, which the installer and containerd refuse';
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
    return 'contains an unpaired UTF-16 surrogate, which is no Unicode character';
  }
  return undefined;
}

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

/**
 * A TOML value for a runtime option. Throws for a value `tomlValueProblem` refuses: the input
 * checks refuse those first, so nothing downstream can emit a value an installer rejects.
 */
export function tomlValue(value: RuntimeOptionValue): string {
  const problem = tomlValueProblem(value);
  if (problem !== undefined) throw new Error(`runtime option value ${JSON.stringify(String(value).slice(0, 80))}: ${problem}`);
  return typeof value === 'string' ? tomlString(value) : String(value);
}

/** TOML bare keys: letters, digits, `_` and `-`. Anything else is quoted. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}
