import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { autoStopScript, notebookAssetDir, starterNotebooksDir } from '../../lib/notebooks/private/assets';

const root = path.join(__dirname, '..', '..');
const notebooksDir = starterNotebooksDir();
const lifecycleDir = notebookAssetDir('notebook-lifecycle');
const notebookFiles = fs.readdirSync(notebooksDir).filter((f) => f.endsWith('.ipynb'));

interface Cell {
  readonly cell_type: string;
  readonly id?: string;
  readonly source: string | string[];
  readonly metadata: object;
  readonly outputs?: unknown[];
  readonly execution_count?: number | null;
}

const text = (source: string | string[]) => (Array.isArray(source) ? source.join('') : source);

function python(args: string[], input?: string, env: Record<string, string> = {}) {
  return spawnSync('python3', args, { input, encoding: 'utf8', env: { ...process.env, ...env }, cwd: root });
}

test('ships the data-quality report and the shard-manifest notebook', () => {
  expect(notebookFiles.sort()).toEqual(['data-quality-report.ipynb', 'shard-manifest.ipynb']);
});

describe.each(notebookFiles)('%s', (file) => {
  const doc = JSON.parse(fs.readFileSync(path.join(notebooksDir, file), 'utf8')) as {
    nbformat: number;
    nbformat_minor: number;
    metadata: { kernelspec?: { name: string; language: string }; language_info?: { name: string } };
    cells: Cell[];
  };

  test('is valid nbformat 4: top-level keys, kernel, and each cell shaped as its type requires', () => {
    expect(Object.keys(doc).sort()).toEqual(['cells', 'metadata', 'nbformat', 'nbformat_minor']);
    expect(doc.nbformat).toBe(4);
    expect(doc.nbformat_minor).toBeGreaterThanOrEqual(5);
    expect(doc.metadata.kernelspec).toEqual(expect.objectContaining({ name: 'python3', language: 'python' }));
    expect(doc.cells.length).toBeGreaterThan(3);
    const ids = new Set<string>();
    for (const cell of doc.cells) {
      // nbformat 4.5: every cell has a unique id of 1 to 64 letters, digits, '-' and '_'.
      expect(cell.id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(ids.has(cell.id!)).toBe(false);
      ids.add(cell.id!);
      expect(typeof cell.metadata).toBe('object');
      expect(typeof text(cell.source)).toBe('string');
      if (cell.cell_type === 'code') {
        expect(Object.keys(cell).sort()).toEqual(['cell_type', 'execution_count', 'id', 'metadata', 'outputs', 'source']);
        expect(cell.outputs).toEqual([]);
        expect(cell.execution_count).toBeNull();
      } else {
        expect(cell.cell_type).toBe('markdown');
        expect(Object.keys(cell).sort()).toEqual(['cell_type', 'id', 'metadata', 'source']);
      }
    }
  });

  test('compiles every code cell with python3 and imports only the standard library, boto3, matplotlib and its helpers', () => {
    const cells = doc.cells.filter((c) => c.cell_type === 'code').map((c) => text(c.source));
    const script = [
      'import ast, json, sys',
      'cells = json.load(sys.stdin)',
      'mods = set()',
      'for i, src in enumerate(cells):',
      '    tree = compile(src, "cell %d" % i, "exec", flags=ast.PyCF_ONLY_AST)',
      '    compile(tree, "cell %d" % i, "exec")',
      '    for node in ast.walk(tree):',
      '        if isinstance(node, ast.Import): mods.update(a.name.split(".")[0] for a in node.names)',
      '        if isinstance(node, ast.ImportFrom): mods.add(node.module.split(".")[0])',
      'print(json.dumps(sorted(mods)))',
    ].join('\n');
    const run = python(['-c', script], JSON.stringify(cells));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const modules = JSON.parse(run.stdout) as string[];
    expect(modules.filter((m) => !['os', 'boto3', 'matplotlib', 'mlscale_notebook_helpers'].includes(m))).toEqual([]);
  });
});

test('the helper module and the auto-stop script compile with py_compile', () => {
  const files = [path.join(notebooksDir, 'mlscale_notebook_helpers.py'), path.join(lifecycleDir, 'autostop.py')];
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'py-compile-'));
  try {
    const run = python(['-c', 'import os, py_compile, sys\nfor f in sys.argv[2:]: py_compile.compile(f, cfile=os.path.join(sys.argv[1], os.path.basename(f) + "c"), doraise=True)', out, ...files]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['autostop.pyc', 'mlscale_notebook_helpers.pyc']);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('the pure helpers and the idle check pass their python3 unittest', () => {
  const run = python(['-m', 'unittest', 'discover', '-s', path.join(__dirname, 'python'), '-t', path.join(__dirname, 'python')], undefined, {
    PYTHONPATH: [notebooksDir, lifecycleDir].join(path.delimiter),
    PYTHONDONTWRITEBYTECODE: '1',
  });
  expect(run.status).toBe(0);
  expect(run.stderr).toMatch(/Ran \d+ tests[\s\S]*\nOK\n?$/);
});

test('the assets resolve from the sources and from the compiled package (dist/lib)', () => {
  const fromDist = path.join(root, 'dist', 'lib', 'notebooks', 'private');
  const fromSources = path.join(root, 'lib', 'notebooks', 'private');
  expect(starterNotebooksDir(fromDist)).toBe(path.join(root, 'assets', 'notebooks'));
  expect(starterNotebooksDir(fromSources)).toBe(path.join(root, 'assets', 'notebooks'));
  expect(autoStopScript(fromDist)).toContain('def is_idle(');
  expect(() => notebookAssetDir('missing-folder')).toThrow("The asset folder 'missing-folder' was not found");
});

test('package.json ships the notebooks and the lifecycle script', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { files: string[] };
  expect(pkg.files).toEqual(expect.arrayContaining(['assets/notebooks/**', 'assets/notebook-lifecycle/**']));
});
