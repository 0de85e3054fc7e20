import { Diagnostic, DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime, compareStrings, diagnosticAt } from '../model/container-runtime';
import { isObject } from '../sources/fields';
import { tomlKey, tomlString } from '../installer/toml';
import { RuntimeConfigFormat, RuntimeDefinition } from './types';

/** The providerConfig Gardener's gVisor extension decodes (its pkg/apis/config/v1alpha1). */
export const GVISOR_CONFIG_API_VERSION = 'gvisor.runtime.extensions.config.gardener.cloud/v1alpha1';
export const GVISOR_CONFIG_KIND = 'GVisorConfiguration';

/** Where runsc writes its debug logs when `debug` is on: the line the extension adds. */
export const RUNSC_DEBUG_LOG = '/var/log/runsc/%ID%/gvisor-%COMMAND%.log';

/** The largest value Go's strconv.Atoi takes on the nodes' 64-bit platforms. */
const INT64_MAX = (BigInt(1) << BigInt(63)) - BigInt(1);

/**
 * gVisor flags the pool may set, with the values each accepts and the runsc.toml lines each value
 * yields, as Gardener's gVisor extension renders them (pkg/charts/values.go): `"false"` for debug
 * and nvproxy yields no line, `debug: "true"` adds the debug-log line.
 */
const RUNSC_FLAGS: Readonly<Record<string, { readonly expected: string; readonly lines: (value: string) => string[] | undefined }>> = {
  'net-raw': { expected: '"true" or "false"', lines: (v) => (v === 'true' || v === 'false' ? [flagLine('net-raw', v)] : undefined) },
  'debug': {
    expected: '"true" or "false"',
    lines: (v) => (v === 'true' ? [flagLine('debug', 'true'), flagLine('debug-log', RUNSC_DEBUG_LOG)] : v === 'false' ? [] : undefined),
  },
  'nvproxy': { expected: '"true" or "false"', lines: (v) => (v === 'true' ? [flagLine('nvproxy', 'true')] : v === 'false' ? [] : undefined) },
  'panic-signal': {
    expected: 'a decimal integer',
    lines: (v) => (/^[+-]?[0-9]+$/.test(v) && BigInt(v.replace(/^\+/, '')) <= INT64_MAX && BigInt(v.replace(/^\+/, '')) >= -INT64_MAX - BigInt(1)
      ? [flagLine('panic-signal', v)] : undefined),
  },
};

function flagLine(name: string, value: string): string {
  return `  ${tomlKey(name)} = ${tomlString(value)}`;
}

/** Said in every refusal that the extension would not make. */
const STRICTER = 'refused on purpose: Gardener\'s gVisor extension would drop it silently';

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
  const config = runtime.providerConfig;
  const lines: string[] = [];
  if (config !== undefined && config !== null) {
    if (!isObject(config)) {
      at('', `must be a ${GVISOR_CONFIG_KIND} (apiVersion ${GVISOR_CONFIG_API_VERSION})`);
    } else if ((config.apiVersion ?? GVISOR_CONFIG_API_VERSION) !== GVISOR_CONFIG_API_VERSION || (config.kind ?? GVISOR_CONFIG_KIND) !== GVISOR_CONFIG_KIND) {
      // Left out, both are filled in by the extension's decoder; given, they must name its type.
      at(config.apiVersion !== GVISOR_CONFIG_API_VERSION ? '.apiVersion' : '.kind',
        `must be apiVersion ${GVISOR_CONFIG_API_VERSION}, kind ${GVISOR_CONFIG_KIND}, the only type Gardener's gVisor extension decodes`
        + ` (found ${JSON.stringify(config.apiVersion ?? null)}, ${JSON.stringify(config.kind ?? null)})`);
    } else {
      for (const key of Object.keys(config).sort(compareStrings)) {
        if (key === 'testImageTag') at(`.${key}`, 'is for testing the extension itself and is not supported: the image comes from the pipeline file');
        else if (!['apiVersion', 'kind', 'configFlags'].includes(key)) at(`.${key}`, `is not a field of ${GVISOR_CONFIG_KIND}; ${STRICTER}`);
      }
      lines.push(...flagLines(config.configFlags, at));
    }
  }
  return ['# Written by shoot-runtimes from the worker pool\'s providerConfig.', '[runsc_config]', ...lines, ''].join('\n');
}

function flagLines(flags: unknown, at: (suffix: string, message: string) => void): string[] {
  if (flags === undefined || flags === null) return [];
  if (!isObject(flags)) return at('.configFlags', 'must be a map of flag names to values'), [];
  const lines: string[] = [];
  for (const name of Object.keys(flags).sort(compareStrings)) {
    const value = flags[name];
    const rule = RUNSC_FLAGS[name];
    const path = `.configFlags.${name}`;
    if (!rule) {
      at(path, `unknown gVisor flag "${name}" (known: ${Object.keys(RUNSC_FLAGS).join(', ')}); ${STRICTER}`);
    } else if (typeof value !== 'string') {
      // The extension decodes configFlags as map[string]string: it fails on anything else.
      at(path, `must be a quoted string, ${rule.expected}, not ${JSON.stringify(value)}: the extension reads configFlags as strings only`);
    } else {
      const found = rule.lines(value);
      if (found) lines.push(...found);
      else at(path, `must be ${rule.expected}, not ${JSON.stringify(value)}; ${STRICTER}`);
    }
  }
  return lines;
}
