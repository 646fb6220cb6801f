/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // Unit tests switch off aws-cdk-lib's CloudFormation schema validation for speed;
  // test/stacks/schema-validation.test.ts and the CI synth keep it on.
  setupFiles: ['<rootDir>/test/util/setup-env.ts'],
  globalSetup: '<rootDir>/test/util/global-setup.js',
  snapshotSerializers: ['<rootDir>/test/util/asset-hash-serializer.ts'],
  // Jest's default leaves one core idle; on these 2-core machines both cores halve the run (48 s to 29 s).
  maxWorkers: '100%',
  testTimeout: 60000,
};
