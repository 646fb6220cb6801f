// `npx cdk synth --quiet && npm run preflight` (read-only; see `npm run preflight -- --help`)
import { runPreflightCli } from '../lib/preflight/private/cli';

void runPreflightCli(process.argv.slice(2), (s) => console.log(s), (s) => console.error(s)).then((code) => {
  process.exitCode = code;
});
