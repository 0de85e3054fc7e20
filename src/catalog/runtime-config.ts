import { Diagnostic, DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime, compareStrings, diagnosticAt } from '../model/container-runtime';
import { field, isObject } from '../sources/fields';
import { tomlKey, tomlString } from '../installer/toml';
import { RuntimeConfigFormat, RuntimeDefinition } from './types';

/**
 * gVisor flags the pool may set, with the values each accepts (as Gardener's gVisor extension
 * validates them; anything else is refused, never dropped silently).
 */
const RUNSC_FLAGS: Readonly<Record<string, { readonly accepts: RegExp; readonly expected: string }>> = {
  'net-raw': { accepts: /^(true|false)$/, expected: 'true or false' },
  'debug': { accepts: /^true$/, expected: 'true' },
  'nvproxy': { accepts: /^true$/, expected: 'true' },
  'panic-signal': { accepts: /^-?[0-9]+$/, expected: 'an integer' },
};

/**
 * The content of the runtime's own configuration file for one ContainerRuntime, rendered from its
 * providerConfig; `undefined` when the runtime reads no file of ours. Problems are reported.
 */
export function renderRuntimeConfig(
  runtime: ContainerRuntime, definition: RuntimeDefinition, problems: DiagnosticCollector,
): string | undefined {
  if (!definition.config) return undefined;
  switch (definition.config.format) {
    case RuntimeConfigFormat.RUNSC_FLAGS:
      return renderRunscConfig(runtime, (d) => problems.add(d));
  }
}

function renderRunscConfig(runtime: ContainerRuntime, report: (d: Diagnostic) => void): string {
  const at = (suffix: string, message: string) => {
    const base = diagnosticAt(runtime, 'providerConfig', message);
    report({ ...base, path: `${base.path ?? 'providerConfig'}${suffix}` });
  };
  const flags = field(runtime.providerConfig, 'configFlags');
  const lines: string[] = [];
  if (flags !== undefined && flags !== null && !isObject(flags)) {
    at('.configFlags', 'must be a map of flag names to values');
  } else {
    for (const name of Object.keys(flags ?? {}).sort(compareStrings)) {
      const raw = (flags as Record<string, unknown>)[name];
      const value = typeof raw === 'boolean' || typeof raw === 'number' ? String(raw) : raw;
      const rule = RUNSC_FLAGS[name];
      const path = `.configFlags.${name}`;
      if (!rule) {
        at(path, `unknown gVisor flag "${name}" (known: ${Object.keys(RUNSC_FLAGS).join(', ')})`);
      } else if (typeof value !== 'string' || !rule.accepts.test(value)) {
        at(path, `must be ${rule.expected}, not ${JSON.stringify(raw)}`);
      } else {
        lines.push(`  ${tomlKey(name)} = ${tomlString(value)}`);
      }
    }
  }
  return ['# Written by shoot-runtimes from the worker pool\'s providerConfig.', '[runsc_config]', ...lines, ''].join('\n');
}
