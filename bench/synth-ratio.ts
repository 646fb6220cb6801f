/**
 * `npm run bench:synth`: how much longer `cdk synth` takes for the whole reference app than for an app
 * of one bucket, with the same CLI, feature flags, schema validation and rule packs.
 *
 * Both run through the project's CDK CLI (`cdk synth --quiet`) as a user runs them, each into its own
 * output folder, alternately (full, baseline, full, baseline...) so that a change in the machine's load
 * affects both alike. Every stack is in: the optional edge stack is switched on with
 * `-c ml-at-scale.edge.enabled=true` (its recipe lock is written to the work folder). The baseline app is
 * bench/one-bucket-app.ts, run from a folder whose cdk.json holds the reference app's feature flags and no
 * configuration; the four packs check its bucket in full, and it acknowledges what they find.
 *
 * Prints each run, the medians and their ratio; exits 1 when the ratio exceeds SYNTH_RATIO_TARGET
 * (default 1.5). SYNTH_ROUNDS sets the number of runs of each (default 5).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const ROUNDS = Number(process.env.SYNTH_ROUNDS ?? 5);
const TARGET = Number(process.env.SYNTH_RATIO_TARGET ?? 1.5);
const cdk = join(root, 'node_modules', '.bin', 'cdk');

const work = join(root, 'bench', '.results', 'synth-ratio');
const baselineDir = join(work, 'baseline');
rmSync(work, { recursive: true, force: true });
mkdirSync(baselineDir, { recursive: true });
const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const flags = Object.fromEntries(Object.entries(cdkJson.context).filter(([key]) => key.startsWith('@aws-cdk')));
writeFileSync(
  join(baselineDir, 'cdk.json'),
  JSON.stringify({ app: `node --import tsx ${join(root, 'bench', 'one-bucket-app.ts')}`, context: flags }, null, 2),
);

interface Run {
  readonly seconds: number;
  readonly templates: number;
}

function synth(cwd: string, out: string, extra: string[]): Run {
  rmSync(out, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  const result = spawnSync(cdk, ['synth', '--quiet', '--output', out, ...extra], { cwd, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`cdk synth in ${cwd} failed (exit ${result.status}):\n${result.stderr}`);
  return { seconds, templates: readdirSync(out).filter((f) => f.endsWith('.template.json')).length };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The edge stack's recipe lock goes to the work folder, not beside cdk.json.
const edgeOn = ['-c', 'ml-at-scale.edge.enabled=true', '-c', `ml-at-scale.edge.recipeLockFile=${join(work, 'edge-recipes.lock.json')}`];
const full: Run[] = [];
const baseline: Run[] = [];
// One unmeasured run of each first: the bundles and tsx's cache are then as a developer's second synth finds them.
synth(root, join(work, 'full.out'), edgeOn);
synth(baselineDir, join(work, 'baseline.out'), []);
for (let i = 0; i < ROUNDS; i++) {
  full.push(synth(root, join(work, 'full.out'), edgeOn));
  baseline.push(synth(baselineDir, join(work, 'baseline.out'), []));
  console.log(`round ${i + 1}: full ${full[i].seconds.toFixed(2)} s (${full[i].templates} stacks), one bucket ${baseline[i].seconds.toFixed(2)} s (${baseline[i].templates} stack)`);
}
const ratio = median(full.map((r) => r.seconds)) / median(baseline.map((r) => r.seconds));
console.log(
  `median: full ${median(full.map((r) => r.seconds)).toFixed(2)} s, one bucket ${median(baseline.map((r) => r.seconds)).toFixed(2)} s, ratio ${ratio.toFixed(2)} (target <= ${TARGET})`,
);
if (ratio > TARGET) process.exitCode = 1;
