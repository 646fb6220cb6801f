/**
 * Type-checks, then runs, every ```ts example of README.md against the library's own source, so that
 * the README's examples compile and construct without error. `import ... from 'cdk-ml-at-scale'`
 * resolves to lib/. Run: `npm run docs:check` (CI runs it).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
// Inside the project, so that the examples resolve aws-cdk-lib from its node_modules.
const cache = path.join(root, 'node_modules', '.cache');
fs.mkdirSync(cache, { recursive: true });
const work = fs.mkdtempSync(path.join(cache, 'readme-examples-'));

interface Example {
  readonly file: string;
  readonly readmeLine: number;
}

const examples: Example[] = [];
const fence = /```ts\n([\s\S]*?)```/g;
for (let m = fence.exec(readme); m; m = fence.exec(readme)) {
  const readmeLine = readme.slice(0, m.index).split('\n').length + 1;
  const code = m[1].replace(/from 'cdk-ml-at-scale'/g, `from ${JSON.stringify(path.join(root, 'lib'))}`);
  const file = path.join(work, `example-${examples.length}.ts`);
  // `export {}` makes every example a module, so that their top-level names do not collide.
  fs.writeFileSync(file, `${code}\nexport {};\n`);
  examples.push({ file, readmeLine });
}
if (examples.length === 0) throw new Error('README.md has no ```ts example');

const program = ts.createProgram(
  examples.map((e) => e.file),
  {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules', '@types')],
  },
);
const problems = ts.getPreEmitDiagnostics(program).map((d) => {
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  const example = examples.find((e) => e.file === d.file?.fileName);
  if (!example || !d.file || d.start === undefined) return text;
  const { line } = d.file.getLineAndCharacterOfPosition(d.start);
  return `README.md:${example.readmeLine + line}: ${text}`;
});
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}

let failed = 0;
for (const example of examples) {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- run the example in this process, under tsx
    require(example.file);
  } catch (err) {
    failed++;
    console.error(`README.md:${example.readmeLine}: the example throws: ${(err as Error).message}`);
  }
}
fs.rmSync(work, { recursive: true, force: true });
if (failed > 0) process.exit(1);
console.log(`${examples.length} README examples type-check and run`);
