// The order in which test files start. jest-light-runner reports a file's time without its module top
// level, where the stack and app tests synthesize, so jest's own order (slowest first, by those times)
// would start the costliest files last and leave one worker running them alone at the end. These start
// first, costliest first (measured alone, seconds of CPU), then the rest by size as jest would without timings.
const fs = require('fs');
const TestSequencer = require('@jest/test-sequencer').default;

const FIRST = [
  /test\/stacks\/compliance\.test\.ts$/, // the all-on app under four rule packs, cfn-guard included
  /test\/stacks\/retention-census\.test\.ts$/, // three all-on apps
  /test\/stacks\/template-budget\.test\.ts$/, // the all-on app and both presets
  /test\/sharding\/runtime\/(roundtrip|faults|tar|findings|consistency|contract)\.test\.ts$/, // a local S3 server each
  /test\/stacks\/schema-validation\.test\.ts$/, // loads the CloudFormation schemas
  /test\/bin\/config-keys\.test\.ts$/, // builds the app several times and runs the CLI
  /test\/stacks\/[^/]+\.test\.ts$/, // the reference app, built at the top of each file
];

class CostliestFirst extends TestSequencer {
  sort(tests) {
    const rank = (test) => {
      const i = FIRST.findIndex((re) => re.test(test.path.split('\\').join('/')));
      return i < 0 ? FIRST.length : i;
    };
    const size = (test) => {
      try {
        return fs.statSync(test.path).size;
      } catch {
        return 0;
      }
    };
    return [...tests].sort((a, b) => rank(a) - rank(b) || size(b) - size(a));
  }
}

module.exports = CostliestFirst;
