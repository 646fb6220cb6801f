import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

// What `npm publish` would ship, as `npm pack --dry-run` lists it from package.json's `files` (the one
// place that decides what ships): everything a team needs to synthesize, and nothing else. The rules
// are plain functions, so that each can be shown to fail on a crafted file list.

const root = path.join(__dirname, '..', '..');
const MiB = 1024 * 1024;

interface PackedFile {
  readonly path: string;
  readonly size: number;
}

interface Expected {
  /** Module paths under lib/ without extension (`common/errors`): each ships as .js and .d.ts. */
  readonly libModules: string[];
  /** Handler names of lib/runtimes.json: each ships as assets/runtime/<name>/index.js. */
  readonly runtimes: string[];
  /** Python and notebook assets (Glue scripts, notebooks, the lifecycle script, the edge component). */
  readonly assets: string[];
}

const LIMITS = { fileBytes: 2 * MiB, totalBytes: 12 * MiB };

const ALWAYS = ['package.json', 'README.md', 'LICENSE', 'NOTICE', 'CHANGELOG.md', 'assets/runtime/THIRD_PARTY_LICENSES'];

/** Paths that must never ship, with the reason a reviewer reads when one does. */
const FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [/^(lib|bin|scripts|test|consumer|bench|\.ci)\//, 'sources, tests or tools of the repository'],
  [/^(cdk\.out|coverage|node_modules|\.cdk\.staging)\//, 'build output'],
  [/^dist\/(?!lib\/)/, 'compiled code outside dist/lib (the reference app, tests or tools)'],
  [/(^|\/)(__tests__|__snapshots__)\/|\.(test|spec)\.[cm]?[jt]s$|(^|\/)test_[^/]*\.py$|(^|\/)conftest\.py$/, 'a test'],
  [/\.[cm]?ts$(?<!\.d\.ts)|\.tsx$/, 'a TypeScript source'],
  [/\.map$(?<!^assets\/runtime\/[^/]+\/index\.js\.map)/, 'a source map of sources (only the bundled handlers ship their maps)'],
  [/(^|\/)SOURCE$|\.tsbuildinfo$|(^|\/)__pycache__\/|\.py[co]$|(^|\/)\.DS_Store$/, 'a build leftover'],
  [/(^|\/)\.env(\.[^/]*)?$|(^|\/)\.envrc$/, 'an environment file (secrets)'],
  [/\.(pem|key|p12|pfx|jks|keystore|ppk|gpg|asc)$/i, 'a key or certificate store (secrets)'],
  [/(^|\/)id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/, 'an SSH key (secrets)'],
  [/(^|\/)\.?(credentials|netrc|npmrc|pypirc|htpasswd)$|(^|\/)\.aws\/|(^|\/)\.ssh\//i, 'a credentials file (secrets)'],
  [/secret/i, 'a file named like a secret'],
];

/** Content that must never ship: credentials, and inline source maps that would carry the TypeScript sources. */
const FORBIDDEN_CONTENT: ReadonlyArray<[RegExp, string, (file: string) => boolean]> = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id', () => true],
  [/-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/, 'a private key', () => true],
  [/\b(ghp|gho|ghs|ghu)_[A-Za-z0-9]{36}\b|\bnpm_[A-Za-z0-9]{36}\b|\bxox[abp]-[A-Za-z0-9-]{10,}/, 'a GitHub, npm or Slack token', () => true],
  [/sourceMappingURL=data:/, 'an inline source map (it holds the TypeScript sources)', (file) => file.startsWith('dist/')],
];

/** Every rule broken by a packed file list, one line each; empty when the package is right. */
function packViolations(files: readonly PackedFile[], expected: Expected, limits = LIMITS): string[] {
  const paths = new Set(files.map((f) => f.path));
  const required = [
    ...ALWAYS,
    ...expected.libModules.flatMap((m) => [`dist/lib/${m}.js`, `dist/lib/${m}.d.ts`]),
    ...expected.runtimes.map((name) => `assets/runtime/${name}/index.js`),
    ...expected.assets,
  ];
  const violations = required.filter((p) => !paths.has(p)).map((p) => `missing: ${p}`);
  for (const file of files) {
    for (const [pattern, reason] of FORBIDDEN) {
      if (pattern.test(file.path)) violations.push(`forbidden: ${file.path} (${reason})`);
    }
    if (file.size > limits.fileBytes) violations.push(`too large: ${file.path} is ${file.size} bytes, over ${limits.fileBytes}`);
  }
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > limits.totalBytes) violations.push(`too large: the package unpacks to ${total} bytes, over ${limits.totalBytes}`);
  return violations;
}

/** The content rules broken by one packed file. */
function contentViolations(file: string, text: string): string[] {
  return FORBIDDEN_CONTENT.filter(([pattern, , applies]) => applies(file) && pattern.test(text)).map(([, reason]) => `forbidden content: ${file} holds ${reason}`);
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const rel = (file: string) => path.relative(root, file).split(path.sep).join('/');

/** What this checkout must ship, read from lib/, lib/runtimes.json and assets/. */
function expectedFromCheckout(): Expected {
  const libModules = walk(path.join(root, 'lib'))
    .map(rel)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !/\/runtime\//.test(f))
    .map((f) => f.replace(/^lib\//, '').replace(/\.ts$/, ''));
  const registry = JSON.parse(fs.readFileSync(path.join(root, 'lib', 'runtimes.json'), 'utf8')) as Record<string, string>;
  const runtimes = Object.keys(registry).filter((name) => !name.startsWith('//'));
  const assets = ['glue', 'notebooks', 'notebook-lifecycle', 'edge']
    .flatMap((d) => walk(path.join(root, 'assets', d)))
    .map(rel)
    .filter((f) => !/(^|\/)__pycache__\/|\.pyc$/.test(f));
  return { libModules, runtimes, assets };
}

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const expected = expectedFromCheckout();

describe('the package that npm pack builds from this checkout', () => {
  let files: PackedFile[] = [];
  let summary = { entryCount: 0, size: 0, unpackedSize: 0 };
  beforeAll(() => {
    // --ignore-scripts: list what the checkout holds (npm ci and npm run build made dist/ and the bundles),
    // without building again.
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm pack --dry-run failed (${r.status}): ${r.stderr}`);
    const [report] = JSON.parse(r.stdout) as Array<{ files: PackedFile[]; entryCount: number; size: number; unpackedSize: number }>;
    files = report.files.map((f) => ({ path: f.path, size: f.size }));
    summary = { entryCount: report.entryCount, size: report.size, unpackedSize: report.unpackedSize };
  });

  test('holds what a team needs and nothing it does not (run `npm run build` after changing lib/)', () => {
    expect(packViolations(files, expected)).toEqual([]);
    expect(summary.entryCount).toBe(files.length);
  });

  test('holds no credentials, no private keys and no inline source maps', () => {
    const found = files.flatMap((f) => contentViolations(f.path, fs.readFileSync(path.join(root, f.path), 'latin1')));
    expect(found).toEqual([]);
  });

  test('ships the compiled entry points that package.json names', () => {
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining([pkg.main, pkg.types]));
  });

  test('lists every package that a bundled handler contains, with its license', () => {
    const notice = fs.readFileSync(path.join(root, 'assets', 'runtime', 'THIRD_PARTY_LICENSES'), 'utf8');
    const bundled = new Set<string>();
    for (const name of expected.runtimes) {
      const map = JSON.parse(fs.readFileSync(path.join(root, 'assets', 'runtime', name, 'index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
      // The maps carry file names and lines for stack traces, not the sources' text.
      expect(map.sourcesContent).toBeUndefined();
      for (const source of map.sources) {
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source.slice(source.lastIndexOf('node_modules/')));
        if (m) bundled.add(m[1]);
      }
    }
    expect(bundled.size).toBeGreaterThan(0);
    const listed = new Set([...notice.matchAll(/^(@?[^@\s]+)@\S+ {2}\S+ {2}\(/gm)].map((m) => m[1]));
    expect([...bundled].filter((name) => !listed.has(name))).toEqual([]);
    expect(notice).toMatch(/^bowser@\S+ {2}MIT /m);
    expect(notice).toContain('Permission is hereby granted, free of charge');
  });
});

describe('package.json', () => {
  test('follows semantic versioning, and CHANGELOG.md has a section for its version', () => {
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
    expect(changelog).toContain(`\n## [${pkg.version}] - `);
  });

  test('is Apache-2.0 with the license text, and needs Node.js 22 or newer', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004[\s\S]+END OF TERMS AND CONDITIONS/);
    expect(pkg.engines).toEqual({ node: '>=22' });
  });

  test('names aws-cdk-lib and constructs as peers, not as dependencies', () => {
    expect(Object.keys(pkg.peerDependencies)).toEqual(expect.arrayContaining(['aws-cdk-lib', 'constructs']));
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});

describe('the rules fail when the package breaks them', () => {
  // GIVEN a crafted listing that satisfies every rule
  const valid: PackedFile[] = [
    ...ALWAYS,
    ...expected.libModules.flatMap((m) => [`dist/lib/${m}.js`, `dist/lib/${m}.d.ts`]),
    ...expected.runtimes.flatMap((name) => [`assets/runtime/${name}/index.js`, `assets/runtime/${name}/index.js.map`]),
    ...expected.assets,
  ].map((p) => ({ path: p, size: 1000 }));

  test('a listing that keeps every rule passes', () => {
    expect(packViolations(valid, expected)).toEqual([]);
  });

  const without = (p: string) => valid.filter((f) => f.path !== p);
  const withFile = (p: string, size = 10) => [...valid, { path: p, size }];
  test.each<[string, PackedFile[], string]>([
    ['the compiled code of a lib/ module is missing', without('dist/lib/data-lake/data-lake.js'), 'missing: dist/lib/data-lake/data-lake.js'],
    ['a declaration file is missing', without('dist/lib/index.d.ts'), 'missing: dist/lib/index.d.ts'],
    ['a pre-bundled handler is missing', without('assets/runtime/sharding-plan/index.js'), 'missing: assets/runtime/sharding-plan/index.js'],
    ['the Glue script is missing', without('assets/glue/spark_etl.py'), 'missing: assets/glue/spark_etl.py'],
    ['a notebook is missing', without('assets/notebooks/data-quality-report.ipynb'), 'missing: assets/notebooks/data-quality-report.ipynb'],
    ['the notebook lifecycle script is missing', without('assets/notebook-lifecycle/autostop.py'), 'missing: assets/notebook-lifecycle/autostop.py'],
    ['the edge component is missing', without('assets/edge/inference/inference.py'), 'missing: assets/edge/inference/inference.py'],
    ['the LICENSE is missing', without('LICENSE'), 'missing: LICENSE'],
    ['the README is missing', without('README.md'), 'missing: README.md'],
    ['the CHANGELOG is missing', without('CHANGELOG.md'), 'missing: CHANGELOG.md'],
    ['the third-party licenses are missing', without('assets/runtime/THIRD_PARTY_LICENSES'), 'missing: assets/runtime/THIRD_PARTY_LICENSES'],
    ['a test ships', withFile('test/data-lake/data-lake.test.ts'), 'forbidden: test/data-lake/data-lake.test.ts'],
    ['a compiled test ships', withFile('dist/test/data-lake.test.js'), 'forbidden: dist/test/data-lake.test.js'],
    ['a Python test ships', withFile('assets/edge/inference/test_inference.py'), 'forbidden: assets/edge/inference/test_inference.py (a test)'],
    ['a TypeScript source ships', withFile('lib/index.ts'), 'forbidden: lib/index.ts'],
    ['a TypeScript source ships outside lib/', withFile('assets/runtime/sharding-plan/plan.ts'), 'forbidden: assets/runtime/sharding-plan/plan.ts (a TypeScript source)'],
    ['the reference app ships', withFile('dist/bin/reference-app.js'), 'forbidden: dist/bin/reference-app.js'],
    ['a tool of the repository ships', withFile('scripts/cost.ts'), 'forbidden: scripts/cost.ts'],
    ['the consumer app ships', withFile('consumer/bin/one-stack.ts'), 'forbidden: consumer/bin/one-stack.ts'],
    ['a cloud assembly ships', withFile('cdk.out/manifest.json'), 'forbidden: cdk.out/manifest.json (build output)'],
    ['a source map of lib/ ships', withFile('dist/lib/index.js.map'), 'forbidden: dist/lib/index.js.map (a source map of sources'],
    ['a bundle leftover ships', withFile('assets/runtime/sharding-plan/SOURCE'), 'forbidden: assets/runtime/sharding-plan/SOURCE (a build leftover)'],
    ['Python byte code ships', withFile('assets/glue/__pycache__/spark_etl.cpython-311.pyc'), 'forbidden: assets/glue/__pycache__/spark_etl.cpython-311.pyc (a build leftover)'],
    ['an .env file ships', withFile('assets/notebooks/.env'), 'forbidden: assets/notebooks/.env (an environment file (secrets))'],
    ['a .pem file ships', withFile('assets/edge/device.pem'), 'forbidden: assets/edge/device.pem (a key or certificate store (secrets))'],
    ['a .key file ships', withFile('assets/edge/inference/private.key'), 'forbidden: assets/edge/inference/private.key (a key or certificate store (secrets))'],
    ['an SSH key ships', withFile('assets/id_ed25519'), 'forbidden: assets/id_ed25519 (an SSH key (secrets))'],
    ['an AWS credentials file ships', withFile('assets/.aws/credentials'), 'forbidden: assets/.aws/credentials'],
    ['an .npmrc ships', withFile('.npmrc'), 'forbidden: .npmrc (a credentials file (secrets))'],
    ['a file over the size bound ships', withFile('assets/notebooks/data.parquet', 3 * MiB), 'too large: assets/notebooks/data.parquet is 3145728 bytes'],
    ['the package grows over the total bound', withFile('assets/notebooks/a.ipynb', LIMITS.totalBytes), 'too large: the package unpacks to'],
  ])('fails when %s', (_name, files, violation) => {
    // WHEN the rules check the listing
    const found = packViolations(files, expected);
    // THEN the broken rule is named
    expect(found).toEqual(expect.arrayContaining([expect.stringContaining(violation)]));
  });

  test.each<[string, string, string, string]>([
    ['an AWS access key id ships', 'dist/lib/config.js', 'const key = "AKIAIOSFODNN7EXAMPLE";', 'an AWS access key id'],
    ['a private key ships', 'assets/edge/inference/inference.py', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...', 'a private key'],
    ['an npm token ships', 'README.md', `//registry.npmjs.org/:_authToken=npm_${'a'.repeat(36)}`, 'a GitHub, npm or Slack token'],
    ['compiled code carries its sources in an inline map', 'dist/lib/index.js', '//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==', 'an inline source map (it holds the TypeScript sources)'],
  ])('fails when %s', (_name, file, text, reason) => {
    expect(contentViolations(file, text)).toEqual([`forbidden content: ${file} holds ${reason}`]);
    // and the same file without it passes
    expect(contentViolations(file, 'export {};')).toEqual([]);
  });
});
