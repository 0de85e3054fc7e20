import * as path from 'path';
import { Catalog } from '../catalog';
import { RuntimeDefinition } from '../catalog/types';
import { DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime, SourceField, diagnosticAt } from '../model/container-runtime';
import { DNS_LABEL } from './names';

/** Gardener's limit on worker pool names. */
const MAX_POOL_NAME = 15;
/** Kubernetes' limit on label values (the installer's selector label holds `<type>-<pool>`). */
const MAX_LABEL_VALUE = 63;
/** Characters a binaryPath may hold: it reaches hostPath mounts and the installer's environment. */
const SAFE_PATH = /^[A-Za-z0-9._/-]+$/;

/**
 * Checks one ContainerRuntime against the rules of the input and finds its catalog entry;
 * `undefined` (with the problems reported) when it cannot be installed.
 */
export function checkContainerRuntime(
  runtime: ContainerRuntime, catalog: Catalog, problems: DiagnosticCollector,
): RuntimeDefinition | undefined {
  const before = problems.count;
  const report = (field: SourceField, message: string) => problems.add(diagnosticAt(runtime, field, message));
  checkNodeTargetFields(runtime, report);
  const definition = catalog.find(runtime.type);
  if (!definition) {
    report('type', `unknown runtime type "${runtime.type}" (known: ${catalog.knownNames.join(', ')})`);
    return undefined;
  }
  if (runtime.architecture && !definition.architectures.includes(runtime.architecture)) {
    report('type', `runtime type "${runtime.type}" does not support the pool's architecture ${runtime.architecture} (supports: ${definition.architectures.join(', ')})`);
  }
  return problems.count === before ? definition : undefined;
}

/**
 * The rules for what decides where an installer runs and writes: the pool's name, the runtime
 * type, the installer's name and binaryPath. Fresh input and the tool's own state records
 * (src/output/state.ts) both go through here.
 */
export function checkNodeTargetFields(
  runtime: Pick<ContainerRuntime, 'name' | 'type' | 'pool' | 'binaryPath'>, report: (field: SourceField, message: string) => void,
): void {
  if (!DNS_LABEL.test(runtime.pool) || runtime.pool.length > MAX_POOL_NAME) {
    report('pool', `worker pool name "${runtime.pool}" must be a DNS label (lowercase letters, digits, '-') of at most ${MAX_POOL_NAME} characters`);
  }
  if (!DNS_LABEL.test(runtime.type)) {
    report('type', `runtime type "${runtime.type}" must be a DNS label (lowercase letters, digits, '-')`);
  } else if (runtime.name.length > MAX_LABEL_VALUE) {
    report('type', `the installer's name "${runtime.name}" (type-pool) is longer than ${MAX_LABEL_VALUE} characters, the limit for a label value`);
  }
  const { binaryPath } = runtime;
  if (!path.posix.isAbsolute(binaryPath) || path.posix.normalize(binaryPath) !== binaryPath
    || binaryPath === '/' || binaryPath.endsWith('/') || !SAFE_PATH.test(binaryPath) || binaryPath.length > 1024) {
    report('binaryPath', `binaryPath "${binaryPath}" must be an absolute, normalized path (no "..", "." or "//", no trailing "/", not "/" itself) of letters, digits and . _ - /`);
  }
}

/**
 * Names generated for one shoot must not collide: a per-pool class `<class>-<pool>` of one runtime
 * may equal another's, and a shoot-wide class may be claimed by two spellings of a type.
 */
export function checkGeneratedNames(
  runtimes: readonly { runtime: ContainerRuntime; definition: RuntimeDefinition }[], problems: DiagnosticCollector,
): void {
  const owners = new Map<string, ContainerRuntime>();
  const claim = (name: string, runtime: ContainerRuntime, sameTypeIsFine: boolean) => {
    const owner = owners.get(name);
    if (!owner) return void owners.set(name, runtime);
    if (sameTypeIsFine && owner.type === runtime.type) return;
    problems.add(diagnosticAt(runtime, 'type',
      `RuntimeClass "${name}" is also generated for ContainerRuntime ${owner.name} (${owner.origin.file}:${owner.origin.line})`));
  };
  const installers = new Map<string, ContainerRuntime>();
  for (const { runtime, definition } of runtimes) {
    const twin = installers.get(runtime.name);
    if (twin) {
      problems.add(diagnosticAt(runtime, 'type',
        `the installer DaemonSet "${runtime.name}" is also generated for runtime "${twin.type}" on pool "${twin.pool}" (${twin.origin.file}:${twin.origin.line})`));
    }
    installers.set(runtime.name, runtime);
    for (const c of definition.classes) {
      claim(c.name, runtime, true);
      claim(`${c.name}-${runtime.pool}`, runtime, false);
    }
  }
}
