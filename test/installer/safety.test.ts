/**
 * Failures leave config.toml byte-identical; forms the script cannot edit safely are refused;
 * hostile values are refused or stay inert; a crash between write and restart is caught up.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BINARY_PATH, CONFIG_PATH, containerd1Config, containerdDump, criRuntimes, gvisorEnv, Host, hostsRemovedAfterAll, install, parseToml, runInstaller, snapshot,
} from '../support/host';
import { containerdBinary } from '../support/debian';

const host = hostsRemovedAfterAll();

const RUNTIMES_HEADER = '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes]\n';

/** The single [FATAL] line of a failed run. */
function fatalLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('[FATAL]'));
  expect(lines).toHaveLength(1);
  return lines[0];
}

/** Runs an install that must fail, and proves config.toml is byte-identical and nothing restarted. */
function expectRefused(h: Host, env: Record<string, string>, message: string | RegExp): string {
  const before = fs.readFileSync(h.path(CONFIG_PATH));
  const r = runInstaller(env);
  expect(r.status).not.toBe(0);
  const line = fatalLine(r.stderr);
  expect(line).toMatch(message);
  expect(fs.readFileSync(h.path(CONFIG_PATH))).toEqual(before);
  expect(h.restarts()).toBe(0);
  expect(fs.readdirSync(h.path('/etc/containerd')).filter((f) => f.startsWith('.'))).toEqual([]);
  return line;
}

describe('failures leave config.toml as it was', () => {
  test('no config.toml: fail clearly, install nothing', () => {
    const h = host();
    const r = runInstaller(gvisorEnv(h));
    expect(r.status).toBe(1);
    expect(fatalLine(r.stderr)).toContain('containerd config /etc/containerd/config.toml does not exist');
    expect(h.exists(BINARY_PATH)).toBe(false);
  });

  test('a missing artifact', () => {
    const h = host(containerd1Config());
    const env = gvisorEnv(h);
    fs.rmSync(path.join(h.artifacts, 'containerd-shim-runsc-v1'));
    expectRefused(h, env, /artifact .*containerd-shim-runsc-v1 is missing/);
    expect(h.exists(`${BINARY_PATH}/runsc`)).toBe(false);
  });

  test('an unwritable binary path', () => {
    const h = host(containerd1Config());
    h.write(BINARY_PATH, 'a file where the directory should be');
    expectRefused(h, gvisorEnv(h), /BINARY_PATH|\/var\/bin\/containerruntimes/);
  });

  test('a failing restart: config.toml and runsc.toml are restored and containerd restarted with them', () => {
    const original = containerd1Config();
    const h = host(original);
    const env = gvisorEnv(h, { CONTAINERD_RESTART_COMMAND: 'echo restart >>"$RESTART_LOG"; [ "$(wc -l <"$RESTART_LOG")" -gt 1 ]' });
    const r = runInstaller(env);
    expect(r.status).toBe(1);
    expect(fatalLine(r.stderr)).toContain('restarting containerd failed (reason=files-changed,runtime-config-changed,config-changed): CONTAINERD_RESTART_COMMAND exited 1; restored the previous configuration and restarted containerd with it');
    expect(h.read(CONFIG_PATH)).toBe(original);
    expect(h.exists('/etc/containerd/runsc.toml')).toBe(false);
    expect(h.restarts()).toBe(2);
    expect(fs.readdirSync(h.path('/etc/containerd'))).toEqual(['config.toml']);

    // the next run with a working restart installs everything
    install(gvisorEnv(h));
    expect(criRuntimes(containerdDump(h.path(CONFIG_PATH))).runsc.runtime_type).toBe('io.containerd.runsc.v1');
    expect(h.restarts()).toBe(3);
  });

  test('a failing restart on version 3 restores config.toml and removes the new drop-in', () => {
    const original = fs.readFileSync(path.join(__dirname, 'fixtures', 'config-v3.toml'), 'utf8');
    const h = host(original);
    const r = runInstaller(gvisorEnv(h, { CONTAINERD_RESTART_COMMAND: 'exit 3' }));
    expect(r.status).toBe(1);
    expect(h.read(CONFIG_PATH)).toBe(original);
    expect(fs.readdirSync(h.path('/etc/containerd/conf.d'))).toEqual([]);
  });

  test('the config check seam: a rejected candidate is never swapped in', () => {
    const h = host(containerd1Config());
    expectRefused(h, gvisorEnv(h, { CONTAINERD_CONFIG_CHECK_COMMAND: 'grep -q "no such thing" "$1"' }),
      'CONTAINERD_CONFIG_CHECK_COMMAND rejected the candidate');
  });

  test('the config check seam with containerd itself accepts the candidate', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h, {
      CONTAINERD_BIN: containerdBinary(),
      CONTAINERD_CONFIG_CHECK_COMMAND: '"$CONTAINERD_BIN" --config "$1" config dump | grep -q "runtimes.runsc.options"',
    }));
    expect(h.read(CONFIG_PATH)).toContain('runtimes.runsc.options]');
  });

  test('killed between writing and restarting: the next run restarts although nothing differs', () => {
    const h = host(containerd1Config());
    // SIGKILL the installer from inside its restart command: no trap, no cleanup
    const r = runInstaller(gvisorEnv(h, { CONTAINERD_RESTART_COMMAND: 'kill -9 $PPID' }));
    expect(r.status).toBeNull();
    expect(h.exists('/run/shoot-runtimes/gvisor.restart-pending')).toBe(true);
    expect(runInstaller(gvisorEnv(h), { mode: 'verify' }).stderr).toContain('a containerd restart is pending');

    const again = install(gvisorEnv(h));
    expect(again.stderr).toContain('action=restart reason=pending-restart');
    expect(h.restarts()).toBe(1);
    expect(h.exists('/run/shoot-runtimes/gvisor.restart-pending')).toBe(false);
    install(gvisorEnv(h));
    expect(h.restarts()).toBe(1);
  });
});

describe('forms the script cannot edit safely are refused, untouched', () => {
  test.each([
    ['a dotted key under the runtimes table', `${RUNTIMES_HEADER}  runsc.runtime_type = "io.containerd.runsc.v1"\n`, /handler runsc is defined by a dotted key or an inline table/],
    ['an inline table under the runtimes table', `${RUNTIMES_HEADER}  runsc = { runtime_type = "io.containerd.runsc.v1" }\n`, /handler runsc is defined by a dotted key or an inline table/],
    ['a dotted key defining a parent table', `${RUNTIMES_HEADER}  other.runtime_type = "x"\n`.replace('.runtimes]', ']').replace('other.', 'runtimes.other.'), /dotted key or an inline table/],
    ['an array of tables', `${RUNTIMES_HEADER}\n[[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]]\n`, /array of tables/],
  ])('%s', (_name, replacement, message) => {
    const h = host(containerd1Config().replace(RUNTIMES_HEADER, replacement));
    expectRefused(h, gvisorEnv(h), message);
    expect(h.exists(`${BINARY_PATH}/runsc`)).toBe(false);
  });

  test.each([
    ['an unterminated string', 'oom_score = 0\n', 'oom_score = "0\n', /cannot read .*unterminated string/],
    ['junk after a value', 'oom_score = 0\n', 'oom_score = 0 0\n', /cannot read .*unexpected text/],
    ['an unsupported version', 'version = 2\n', 'version = 7\n', /unsupported config version 7/],
  ])('a config.toml with %s', (_name, from, to, message) => {
    const h = host(containerd1Config().replace(from, to));
    expectRefused(h, gvisorEnv(h), message);
  });

  test('a "[" inside multi-line strings and arrays is not a table header', () => {
    const tail = [
      '',
      '[notes]',
      '  text = """',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]',
      'runtime_type = "fake"',
      '"""',
      "  literal = '''",
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc.options]',
      "'''",
      '  list = [',
      '    "[plugins.\\"io.containerd.grpc.v1.cri\\".containerd.runtimes.runsc]",  # [x]',
      '    [1, 2], # nested',
      '  ]',
      '',
    ].join('\n');
    const h = host(containerd1Config() + tail);
    const r = install(gvisorEnv(h));
    expect(r.stderr).toContain('handler=runsc state=absent action=add');
    const parsed = parseToml(h.path(CONFIG_PATH));
    expect(parsed.notes.text).toContain('runtime_type = "fake"');
    expect(parsed.notes.list).toHaveLength(2);
    expect(parsed.plugins['io.containerd.grpc.v1.cri'].containerd.runtimes.runsc.options.TypeUrl).toBe('io.containerd.runsc.v1.options');
  });
});

describe('hostile values are refused or stay inert', () => {
  const pwned = path.join(os.tmpdir(), `shoot-runtimes-pwned-${process.pid}`);
  afterEach(() => {
    expect(fs.existsSync(pwned)).toBe(false);
  });

  test.each([
    ['RUNTIME_NAME', `gvisor$(touch ${pwned})`, /invalid RUNTIME_NAME/],
    ['RUNTIME_NAME', 'gvisor\nruntime=other', /invalid RUNTIME_NAME/],
    ['POOL_NAME', 'a`touch x`', /invalid POOL_NAME/],
    ['BINARY_PATH', `/var/bin/"$(touch ${pwned})"`, /invalid BINARY_PATH/],
    ['BINARY_PATH', '/var/bin/x\n[evil]', /invalid BINARY_PATH/],
    ['BINARY_PATH', '/var/bin/../../etc', /invalid BINARY_PATH/],
    ['BINARY_PATH', 'var/bin', /invalid BINARY_PATH/],
    ['RUNTIME_HANDLERS', 'runsc\n[evil]', /invalid RUNTIME_HANDLERS/],
    ['RUNTIME_HANDLERS', `runsc $(touch ${pwned})`, /invalid RUNTIME_HANDLERS/],
    ['RUNTIME_HANDLERS', 'runsc runsc', /appears twice/],
    ['RUNTIME_HANDLERS', 'Runsc', /invalid RUNTIME_HANDLERS/],
    ['RUNTIME_HANDLERS', 'runc', /handler runc in RUNTIME_HANDLERS is the node's default runtime/],
    ['RUNTIME_FILES', 'runsc\n../../etc/passwd', /invalid file name/],
    ['RUNTIME_FILES', 'runsc\n.hidden', /invalid file name/],
    ['CONTAINERD_CONFIG', '/etc/containerd/config.toml"', /invalid CONTAINERD_CONFIG/],
    ['RUNTIME_CONFIG_PATH', '/etc/containerd/conf.d/runsc.toml', /must not be inside CONTAINERD_DROPIN_DIR/],
    ['RUNTIME_TABLES', '[runsc]\nruntime_type = "x"\n[plugins.evil]\nx = 1\n', /table \[plugins.evil\] does not belong to a handler/],
    ['RUNTIME_TABLES', 'top = 1\n[runsc]\nruntime_type = "x"\n', /key top is outside a table/],
    ['RUNTIME_TABLES', '[runsc]\nruntime_type = "x\n[evil]\n', /unterminated string/],
    ['RUNTIME_TABLES', '[runsc]\nruntime_type = "x"\nruntime_type = "y"\n', /defined twice/],
    ['RUNTIME_TABLES', '[runsc]\nruntime_type = "x"\n[runsc]\nx = 1\n', /defined twice/],
    ['RUNTIME_TABLES', '[runsc]\noptions = { a = 1 }\n', /inline tables are not supported/],
    ['RUNTIME_TABLES', '[other]\nruntime_type = "x"\n', /does not belong to a handler/],
    ['RUNTIME_TABLES', '[runsc.options]\n', /defines no key for handler runsc/],
    ['RUNTIME_TABLES', '[runsc.options]\n"a\\"b" = 1\n', /needs escapes/],
  ])('%s = %j', (name, value, message) => {
    const h = host(containerd1Config());
    expectRefused(h, gvisorEnv(h, { [name]: value }), message);
  });

  test('quotes, $(...), backticks and escaped newlines in table values stay data', () => {
    const h = host(containerd1Config());
    const hostile = `/x\\"\\n[plugins.evil]\\nkey = 1\\n$(touch ${pwned}) \`touch ${pwned}\` '`;
    const env2 = gvisorEnv(h, {
      RUNTIME_TABLES: `[runsc]\nruntime_type = "io.containerd.runsc.v1"\n[runsc.options]\nConfigPath = "${hostile}"\n"we ird.key" = 'it s'\n`,
      RUNTIME_CONFIG_CONTENT: `x = "$(touch ${pwned})"\n\`touch ${pwned}\`\n`,
    });
    install(env2);
    const dump = containerdDump(h.path(CONFIG_PATH));
    expect(criRuntimes(dump).runsc.options.ConfigPath).toBe(`/x"\n[plugins.evil]\nkey = 1\n$(touch ${pwned}) \`touch ${pwned}\` '`);
    expect(dump.plugins.evil).toBeUndefined();
    const parsed = parseToml(h.path(CONFIG_PATH));
    expect(parsed.plugins.evil).toBeUndefined();
    expect(parsed.plugins['io.containerd.grpc.v1.cri'].containerd.runtimes.runsc.options['we ird.key']).toBe('it s');
    expect(h.read('/etc/containerd/runsc.toml')).toBe(`x = "$(touch ${pwned})"\n\`touch ${pwned}\`\n`);
    // and the second run recognizes the registration
    const before = snapshot(h.root);
    install(env2);
    expect(snapshot(h.root)).toEqual(before);
  });
});
