import * as path from 'path';
import { RuntimeDefinition, RuntimeOptionValue } from '../catalog/types';
import { ContainerRuntime } from '../model/container-runtime';
import { tomlKey, tomlValue } from './toml';

/**
 * Every variable installerEnvironment renders: the only ones a state record may hand back to an
 * uninstaller (never a restart or check command, never HOST_ROOT).
 */
export const INSTALLER_ENV_KEYS = [
  'BINARY_PATH', 'POOL_NAME', 'RUNTIME_FILES', 'RUNTIME_HANDLERS', 'RUNTIME_NAME', 'RUNTIME_TABLES',
  'RUNTIME_CONFIG_PATH', 'RUNTIME_CONFIG_CONTENT',
] as const;

/**
 * Everything the installer script needs for one ContainerRuntime, as environment variables: the
 * script's text never changes with the runtime (docs/installer.md documents each variable).
 */
export function installerEnvironment(
  runtime: ContainerRuntime, definition: RuntimeDefinition, runtimeConfig?: string,
): Record<string, string> {
  const { files, handlers, tables } = definitionValues(definition, runtime.binaryPath);
  const env: Record<string, string> = {
    BINARY_PATH: runtime.binaryPath,
    POOL_NAME: runtime.pool,
    RUNTIME_FILES: files,
    RUNTIME_HANDLERS: handlers,
    RUNTIME_NAME: runtime.type,
    RUNTIME_TABLES: tables,
  };
  if (definition.config && runtimeConfig !== undefined) {
    env.RUNTIME_CONFIG_PATH = definition.config.path;
    env.RUNTIME_CONFIG_CONTENT = runtimeConfig;
  }
  return env;
}

/**
 * The values that come from the catalog entry: made once per entry and host directory (a fleet's
 * runtimes of a type share both), not once per runtime.
 */
function definitionValues(definition: RuntimeDefinition, binaryPath: string): { files: string; handlers: string; tables: string } {
  let byPath = definitionCache.get(definition);
  if (!byPath) definitionCache.set(definition, byPath = new Map());
  let values = byPath.get(binaryPath);
  if (!values) {
    values = {
      files: definition.files.map((file) => path.posix.basename(file)).join('\n'),
      handlers: definition.classes.map((c) => c.handler).join(' '),
      tables: runtimeTables(definition, binaryPath),
    };
    byPath.set(binaryPath, values);
  }
  return values;
}

const definitionCache = new WeakMap<RuntimeDefinition, Map<string, { files: string; handlers: string; tables: string }>>();

/**
 * The handlers' containerd tables, with headers relative to the CRI runtimes table; the script
 * puts them under the plugin path of the node's config version.
 */
export function runtimeTables(definition: RuntimeDefinition, binaryPath: string): string {
  const blocks = definition.classes.map((c) => {
    const lines = [`[${tomlKey(c.handler)}]`, `runtime_type = ${tomlValue(c.runtimeType)}`];
    if (c.snapshotter) lines.push(`snapshotter = ${tomlValue(c.snapshotter)}`);
    const options = Object.entries(c.options ?? {});
    if (options.length > 0) {
      lines.push('', `[${tomlKey(c.handler)}.options]`);
      for (const [key, value] of options) lines.push(`${tomlKey(key)} = ${tomlValue(substitute(value, binaryPath))}`);
    }
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

function substitute(value: RuntimeOptionValue, binaryPath: string): RuntimeOptionValue {
  return typeof value === 'string' ? value.split('${binaryPath}').join(binaryPath) : value;
}
