/**
 * install.sh's checks of its environment (validate_env), mirrored, plus the host directory and
 * basename rules: an environment that passes here is one every installer accepts. synth checks
 * each rendered environment with it before anything is written, the output check checks every
 * installer container, and a state record's environment can be re-checked with it.
 */
import { DNS_LABEL, shownValue } from './names';
import { hostDirectoryProblem, isWithin, runtimeConfigPathProblem, runtimeFileNameProblem } from './host-paths';
import { INSTALLER_ENV_KEYS } from '../installer/environment';
import { MAX_TOML_STRING } from '../installer/toml';

/** Longest value of any key: far below Linux's 128 KiB per environment string. */
const MAX_VALUE = 64 * 1024;

/** One problem with an installer environment: the variable and why. */
export interface EnvironmentProblem {
  readonly key: string;
  readonly message: string;
}

/**
 * Every reason install.sh (install or uninstall mode) would refuse `env`, or the host rules
 * forbid it; empty when it is fine. `extraKeys` are keys the caller sets besides INSTALLER_ENV_KEYS
 * (the DaemonSet's HOST_ROOT, ARTIFACT_DIR, the uninstaller's KEEP_FILES); any other key is a
 * problem, so a record can never carry a restart or check command.
 */
export function installerEnvironmentProblems(
  env: Readonly<Record<string, unknown>>, extraKeys: readonly string[] = [],
): EnvironmentProblem[] {
  const out: EnvironmentProblem[] = [];
  const report = (key: string, message: string) => out.push({ key, message });
  for (const [key, value] of Object.entries(env)) {
    if (!(INSTALLER_ENV_KEYS as readonly string[]).includes(key) && !extraKeys.includes(key)) report(key, 'is not a variable shoot-runtimes sets');
    else if (typeof value !== 'string') report(key, 'must be a string');
    else if (value.includes('\0')) report(key, 'contains a NUL character');
    else if (value.length > MAX_VALUE) report(key, `is longer than ${MAX_VALUE} characters`);
  }
  if (out.length > 0) return out;
  const text = env as Readonly<Record<string, string | undefined>>;

  for (const key of ['RUNTIME_NAME', 'POOL_NAME']) {
    if (!DNS_LABEL.test(text[key] ?? '')) report(key, `${shownValue(text[key] ?? '')} must be a DNS label`);
  }
  const binaryPath = text.BINARY_PATH ?? '';
  const binaryPathProblem = hostDirectoryProblem(binaryPath);
  if (binaryPathProblem) report('BINARY_PATH', binaryPathProblem);

  const files = (text.RUNTIME_FILES ?? '').split('\n');
  if ((text.RUNTIME_FILES ?? '') === '') report('RUNTIME_FILES', 'is empty');
  else {
    files.forEach((f) => { const p = runtimeFileNameProblem(f); if (p) report('RUNTIME_FILES', p); });
    if (new Set(files).size !== files.length) report('RUNTIME_FILES', 'names a file twice');
  }
  if (text.KEEP_FILES !== undefined && text.KEEP_FILES !== '') {
    for (const f of text.KEEP_FILES.split('\n')) {
      if (!files.includes(f)) report('KEEP_FILES', `${shownValue(f)} is not one of RUNTIME_FILES`);
    }
  }

  const handlers = text.RUNTIME_HANDLERS ?? '';
  if (!/^[a-z0-9-]+( [a-z0-9-]+)*$/.test(handlers)) report('RUNTIME_HANDLERS', `${shownValue(handlers)} must be handler names separated by one space`);
  else {
    const list = handlers.split(' ');
    for (const h of list) {
      if (!DNS_LABEL.test(h)) report('RUNTIME_HANDLERS', `handler ${shownValue(h)} must be a DNS label`);
      if (h === 'runc') report('RUNTIME_HANDLERS', 'handler "runc" is the node\'s default runtime and is never replaced');
    }
    if (new Set(list).size !== list.length) report('RUNTIME_HANDLERS', 'names a handler twice');
  }
  if ((text.RUNTIME_TABLES ?? '') === '') report('RUNTIME_TABLES', 'is empty');

  const configPath = text.RUNTIME_CONFIG_PATH;
  const configContent = text.RUNTIME_CONFIG_CONTENT;
  if ((configPath === undefined) !== (configContent === undefined)) {
    report(configPath === undefined ? 'RUNTIME_CONFIG_CONTENT' : 'RUNTIME_CONFIG_PATH', 'RUNTIME_CONFIG_PATH and RUNTIME_CONFIG_CONTENT go together');
  }
  if (configPath !== undefined) {
    const problem = runtimeConfigPathProblem(configPath);
    if (problem) report('RUNTIME_CONFIG_PATH', problem);
    else if (!binaryPathProblem && isWithin(configPath, binaryPath)) report('RUNTIME_CONFIG_PATH', `${shownValue(configPath)} is inside BINARY_PATH`);
  }
  if (configContent !== undefined && configContent.length > MAX_TOML_STRING * 4) {
    report('RUNTIME_CONFIG_CONTENT', `is longer than ${MAX_TOML_STRING * 4} characters`);
  }
  return out;
}
