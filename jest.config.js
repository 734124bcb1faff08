const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' } }],
};

/**
 * Two projects: unit tests need nothing; integration tests (workflows, e2e, replay) share one
 * Temporal dev server and one Java time-skipping test server started by globalSetup. Jest runs
 * a project's globalSetup only when one of its tests is selected.
 */
module.exports = {
  testTimeout: 180000,
  maxWorkers: 2,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/{workflows,e2e,replay}/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
