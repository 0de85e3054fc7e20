/** install.sh is POSIX sh: clean under shellcheck, and it behaves the same under dash and busybox. */
import { execFileSync } from 'child_process';
import { debianToolEnv, shellcheckBinary } from '../support/debian';
import {
  CONFIG_PATH, Host, Shell, INSTALL_SCRIPT, containerd1Config, gvisorEnv, install, makeHost, removeHost,
  runInstaller, snapshot,
} from '../support/host';

const hosts: Host[] = [];
afterAll(() => hosts.forEach(removeHost));

test('shellcheck -s sh reports nothing', () => {
  const out = execFileSync(shellcheckBinary(), ['-s', 'sh', '-S', 'style', INSTALL_SCRIPT], { encoding: 'utf8', env: debianToolEnv() });
  expect(out).toBe('');
});

test('the script starts with #!/bin/sh and set -eu', () => {
  const text = require('fs').readFileSync(INSTALL_SCRIPT, 'utf8') as string;
  expect(text.startsWith('#!/bin/sh\n')).toBe(true);
  expect(text).toMatch(/^set -eu$/m);
});

test.each<Shell>(['dash', 'busybox'])('%s: install, an idempotent second run, verify', (shell) => {
  const h = makeHost(containerd1Config());
  hosts.push(h);
  const env = gvisorEnv(h);
  install(env, { shell });
  expect(h.read(CONFIG_PATH)).toContain('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc.options]');
  const before = snapshot(h.root);
  install(env, { shell });
  expect(snapshot(h.root)).toEqual(before);
  expect(h.restarts()).toBe(1);
  expect(runInstaller(env, { shell, mode: 'verify' }).status).toBe(0);
});

test('busybox and dash write byte-identical files', () => {
  const outputs = (['dash', 'busybox'] as Shell[]).map((shell) => {
    const h = makeHost(containerd1Config());
    hosts.push(h);
    install(gvisorEnv(h), { shell });
    return h.read(CONFIG_PATH);
  });
  expect(outputs[1]).toBe(outputs[0]);
});
