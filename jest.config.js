const os = require('os');
const path = require('path');

// Test files run in plain Node.js processes (jest-light-runner) rather than in one vm context each:
// a worker loads aws-cdk-lib and lib/ once for all the files it runs, not once per file. tsx compiles
// the TypeScript (its loader is passed to the workers through NODE_OPTIONS, and registered here for
// `--runInBand`, which runs in this process, by importing it as `--import tsx` would: on Node.js 20 and
// 22 alike), and Node's compile cache keeps the compiled modules between processes and runs.
const tsxLoaded = /--import[= ]tsx\b/.test(process.env.NODE_OPTIONS ?? '');
if (!tsxLoaded) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import tsx`.trim();
process.env.NODE_COMPILE_CACHE ??= path.join(os.tmpdir(), `cdk-ml-at-scale-compile-cache-${os.userInfo().uid}`);

/** @type {import('jest').Config} */
const config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  runner: 'jest-light-runner/child-process',
  // No code transform: tsx compiles the TypeScript in the workers; this keeps babel-jest from loading.
  transform: {},
  // Unit tests switch off aws-cdk-lib's CloudFormation schema validation for speed;
  // test/stacks/schema-validation.test.ts and the CI synth keep it on.
  setupFiles: ['<rootDir>/test/util/setup-env.ts'],
  globalSetup: '<rootDir>/test/util/global-setup.js',
  testSequencer: '<rootDir>/test/util/sequencer.js',
  snapshotSerializers: ['<rootDir>/test/util/asset-hash-serializer.ts'],
  // Jest's default leaves one core idle; on these 2-core machines both cores halve the run (48 s to 29 s).
  maxWorkers: '100%',
  testTimeout: 60000,
};

module.exports = async () => {
  if (!tsxLoaded) await import('tsx');
  return config;
};
