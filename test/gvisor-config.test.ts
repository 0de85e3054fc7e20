import { ContainerRuntime, DiagnosticCollector, GVISOR, InputError, formatDiagnostic, poolSelector, renderRuntimeConfig } from '../src';

/** runsc.toml for a providerConfig, or the messages that refuse it. */
function runscToml(providerConfig: unknown): string | string[] {
  const runtime: ContainerRuntime = {
    name: 'gvisor-sandbox', type: 'gvisor', pool: 'sandbox', shoot: { projectNamespace: 'garden-dev', name: 'alpha' },
    binaryPath: '/var/bin/containerruntimes', nodeSelector: poolSelector('sandbox'), providerConfig,
    origin: { file: 'shoot.yaml', line: 1, fields: { providerConfig: 'providerConfig' } },
  };
  const problems = new DiagnosticCollector();
  const text = renderRuntimeConfig(runtime, GVISOR, problems);
  try {
    problems.throwIfAny();
  } catch (error) {
    return (error as InputError).diagnostics.map((d) => formatDiagnostic(d).replace(/^shoot\.yaml:\d+: [^:]+: /, ''));
  }
  return text!.split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

const API = { apiVersion: 'gvisor.runtime.extensions.config.gardener.cloud/v1alpha1', kind: 'GVisorConfiguration' };

test('every flag the extension knows, on: the lines the extension writes, debug with its debug-log line', () => {
  expect(runscToml({ ...API, configFlags: { 'net-raw': 'true', 'debug': 'true', 'nvproxy': 'true', 'panic-signal': '-1' } })).toBe([
    '[runsc_config]',
    '  debug = "true"',
    '  debug-log = "/var/log/runsc/%ID%/gvisor-%COMMAND%.log"',
    '  net-raw = "true"',
    '  nvproxy = "true"',
    '  panic-signal = "-1"',
    '',
  ].join('\n'));
});

test('"false" enables nothing: the extension writes net-raw = "false" and nothing for debug and nvproxy', () => {
  expect(runscToml({ ...API, configFlags: { 'net-raw': 'false', 'debug': 'false', 'nvproxy': 'false' } }))
    .toBe('[runsc_config]\n  net-raw = "false"\n');
});

test('apiVersion and kind may be left out (the extension\'s decoder fills them in); no providerConfig means no flags', () => {
  expect(runscToml({ configFlags: { 'net-raw': 'true' } })).toBe('[runsc_config]\n  net-raw = "true"\n');
  expect(runscToml(undefined)).toBe('[runsc_config]\n');
  expect(runscToml({ ...API })).toBe('[runsc_config]\n');
});

test('what the extension cannot decode is refused: another group, another kind, values that are not strings', () => {
  expect(runscToml({ apiVersion: 'gvisor.os.extensions.gardener.cloud/v1alpha1', kind: 'GVisorConfiguration' })).toEqual([
    'providerConfig.apiVersion: must be apiVersion gvisor.runtime.extensions.config.gardener.cloud/v1alpha1, kind GVisorConfiguration, the only type Gardener\'s gVisor extension decodes (found "gvisor.os.extensions.gardener.cloud/v1alpha1", "GVisorConfiguration")',
  ]);
  expect(runscToml({ ...API, configFlags: { 'net-raw': true } })).toEqual([
    'providerConfig.configFlags.net-raw: must be a quoted string, "true" or "false", not true: the extension reads configFlags as strings only',
  ]);
});

test('what the extension would drop silently is refused on purpose, saying so', () => {
  expect(runscToml({ ...API, configFlags: { 'platform': 'kvm', 'debug': 'yes', 'panic-signal': '99999999999999999999' }, configflags: {} })).toEqual([
    'providerConfig.configflags: is not a field of GVisorConfiguration; refused on purpose: Gardener\'s gVisor extension would drop it silently',
    'providerConfig.configFlags.debug: must be "true" or "false", not "yes"; refused on purpose: Gardener\'s gVisor extension would drop it silently',
    'providerConfig.configFlags.panic-signal: must be a decimal integer, not "99999999999999999999"; refused on purpose: Gardener\'s gVisor extension would drop it silently',
    'providerConfig.configFlags.platform: unknown gVisor flag "platform" (known: net-raw, debug, nvproxy, panic-signal); refused on purpose: Gardener\'s gVisor extension would drop it silently',
  ]);
});
