/** Tests run the TypeScript sources through ts-jest; the CLI tests run the compiled bin. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 60000,
  // Most suites wait on child processes (containerd, install.sh, the CLI): one worker per core, not
  // jest's default of cores - 1, takes the suite from about 250 s to about 150 s on 2 cores.
  maxWorkers: '100%',
};
