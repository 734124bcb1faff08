const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' } }],
  // ESM-only dependencies (cookie@2 under fastify's inject) are compiled to CommonJS for jest.
  '^.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = ['/node_modules/(?!(cookie|content-disposition)/)'];

/**
 * Two projects: unit tests need nothing; integration tests (workflows, e2e, replay) share one
 * Temporal dev server and one Java time-skipping test server started by globalSetup. Jest runs
 * a project's globalSetup only when one of its tests is selected.
 */
module.exports = {
  testTimeout: 180000,
  maxWorkers: 2,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, transformIgnorePatterns, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/{workflows,e2e,replay}/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
