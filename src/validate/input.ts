import { Catalog } from '../catalog';
import { RuntimeDefinition } from '../catalog/types';
import { DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime, NodeTarget, SourceField, diagnosticAt } from '../model/container-runtime';
import { installerEnvironment } from '../installer/environment';
import { hostDirectoryProblem } from './host-paths';
import { EnvironmentProblem, installerEnvironmentProblems } from './installer-environment';
import { DNS_LABEL, dnsLabelProblem, labelValueProblem, labelsProblems, qualifiedNameProblem, shownValue } from './names';

/** Gardener's limit on worker pool names. */
const MAX_POOL_NAME = 15;
/** Kubernetes' limit on label values (the installer's selector label holds `<type>-<pool>`). */
const MAX_LABEL_VALUE = 63;
const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** One problem with a field of a NodeTarget. */
export interface TargetProblem {
  readonly field: SourceField;
  readonly message: string;
}

/**
 * The input rules for where a runtime goes: its names, pool, binaryPath (the host directory rule),
 * node selector and taints. Works on a plain NodeTarget, so a state record is checked by the
 * same rules as fresh input. Empty when all is well.
 */
export function nodeTargetProblems(target: NodeTarget & { readonly shoot?: ContainerRuntime['shoot'] }): TargetProblem[] {
  const out: TargetProblem[] = [];
  const report = (field: SourceField, message: string) => out.push({ field, message });
  const poolValid = typeof target.pool === 'string' && DNS_LABEL.test(target.pool) && target.pool.length <= MAX_POOL_NAME;
  if (!poolValid) {
    report('pool', `worker pool name ${shownValue(target.pool)} must be a DNS label (lowercase letters, digits, '-') of at most ${MAX_POOL_NAME} characters`);
  }
  if (typeof target.type !== 'string' || !DNS_LABEL.test(target.type)) {
    report('type', `runtime type ${shownValue(target.type)} must be a DNS label (lowercase letters, digits, '-')`);
  } else if (typeof target.name !== 'string' || target.name.length > MAX_LABEL_VALUE) {
    report('type', `the installer's name ${shownValue(target.name)} (type-pool) is longer than ${MAX_LABEL_VALUE} characters, the limit for a label value`);
  } else if (poolValid && !DNS_LABEL.test(target.name)) {
    report('name', `the installer's name ${dnsLabelProblem(target.name)}`);
  }
  if (target.shoot) {
    const { projectNamespace, name } = target.shoot;
    const problem = dnsLabelProblem(projectNamespace) ?? dnsLabelProblem(name);
    if (problem) report('name', `the shoot ${shownValue(`${projectNamespace}/${name}`)}: ${problem}`);
  }
  const binaryPath = typeof target.binaryPath === 'string' ? hostDirectoryProblem(target.binaryPath) : 'must be a string';
  if (binaryPath) report('binaryPath', `binaryPath ${binaryPath}`);
  const selector = labelsProblems(target.nodeSelector);
  if (selector.length === 0 && Object.keys(target.nodeSelector ?? {}).length === 0) report('nodeSelector', 'the node selector is empty: it would select every node');
  selector.forEach((m) => report('nodeSelector', `node selector: ${m}`));
  if (target.taints !== undefined) {
    if (!Array.isArray(target.taints)) report('taints', 'taints must be a list');
    else {
      target.taints.forEach((t, i) => {
        const key = qualifiedNameProblem(t?.key);
        if (key) report('taints', `taint ${i}: key ${key}`);
        const value = t?.value === undefined ? undefined : labelValueProblem(t.value);
        if (value) report('taints', `taint ${i}: value ${value}`);
        if (!TAINT_EFFECTS.includes(t?.effect)) report('taints', `taint ${i}: effect ${shownValue(t?.effect)} must be one of ${TAINT_EFFECTS.join(', ')}`);
      });
    }
  }
  return out;
}

/**
 * Checks one ContainerRuntime against the rules of the input and finds its catalog entry;
 * `undefined` (with the problems reported) when it cannot be installed.
 */
export function checkContainerRuntime(
  runtime: ContainerRuntime, catalog: Catalog, problems: DiagnosticCollector,
): RuntimeDefinition | undefined {
  const before = problems.count;
  const report = (field: SourceField, message: string) => problems.add(diagnosticAt(runtime, field, message));
  nodeTargetProblems(runtime).forEach((p) => report(p.field, p.message));
  if (problems.count !== before && !DNS_LABEL.test(String(runtime.type))) return undefined;
  const definition = catalog.find(runtime.type);
  if (!definition) {
    report('type', `unknown runtime type ${shownValue(runtime.type)} (known: ${catalog.knownNames.join(', ')})`);
    return undefined;
  }
  if (runtime.architecture && !definition.architectures.includes(runtime.architecture)) {
    report('type', `runtime type "${runtime.type}" does not support the pool's architecture ${runtime.architecture} (supports: ${definition.architectures.join(', ')})`);
  }
  return problems.count === before ? definition : undefined;
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
  checkNodeResources(runtimes, problems);
}

/**
 * Runtimes on one pool share each node's containerd: two of them must not register the same
 * handler or write the same configuration file, or each installer would overwrite (and each
 * uninstaller remove) the other's.
 */
function checkNodeResources(
  runtimes: readonly { runtime: ContainerRuntime; definition: RuntimeDefinition }[], problems: DiagnosticCollector,
): void {
  const owners = new Map<string, ContainerRuntime>();
  const claim = (what: string, runtime: ContainerRuntime) => {
    const key = `${runtime.pool}\0${what}`;
    const owner = owners.get(key);
    if (!owner) return void owners.set(key, runtime);
    problems.add(diagnosticAt(runtime, 'type',
      `${what} on pool "${runtime.pool}" is also claimed by runtime "${owner.type}" (${owner.origin.file}:${owner.origin.line}); one node cannot hold both`));
  };
  for (const { runtime, definition } of runtimes) {
    for (const handler of new Set(definition.classes.map((c) => c.handler))) claim(`the containerd handler "${handler}"`, runtime);
    if (definition.config) claim(`the runtime configuration file ${definition.config.path}`, runtime);
  }
}

/**
 * The environment the installer of `runtime` will get, checked as install.sh checks it: synth
 * never renders an installer that its nodes would refuse (and crash-loop on). Reports, and
 * returns false, when it would be refused.
 */
export function checkInstallerEnvironment(
  runtime: ContainerRuntime, definition: RuntimeDefinition, runtimeConfig: string | undefined, problems: DiagnosticCollector,
): boolean {
  let found: EnvironmentProblem[];
  try {
    found = installerEnvironmentProblems(installerEnvironment(runtime, definition, runtimeConfig));
  } catch (error) {
    found = [{ key: 'RUNTIME_TABLES', message: (error as Error).message }];
  }
  for (const p of found) {
    problems.add(diagnosticAt(runtime, 'type', `runtime type "${definition.type}": its installer would refuse ${p.key}: ${p.message}`));
  }
  return found.length === 0;
}
