import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The Glue script ships as a Python asset: every shipped .py must compile, and its pure logic
// (partition naming, file-count arithmetic, schema mapping) passes python3's unittest.
const root = path.join(__dirname, '..', '..');
const shipped = fs
  .readdirSync(path.join(root, 'assets', 'glue'))
  .filter((f) => f.endsWith('.py'))
  .map((f) => path.join(root, 'assets', 'glue', f));

test('ships at least the Spark ETL script', () => {
  expect(shipped.map((f) => path.basename(f))).toContain('spark_etl.py');
});

const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pycache-'));
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));

test('every shipped Python file compiles', () => {
  for (const file of shipped) {
    // The byte code goes to a temporary prefix, not into a __pycache__ of the package folder.
    const r = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8', env: { ...process.env, PYTHONPYCACHEPREFIX: cache } });
    expect({ file: path.basename(file), status: r.status, stderr: r.stderr }).toEqual({ file: path.basename(file), status: 0, stderr: '' });
  }
});

test('the pure logic of the Spark ETL script passes its unittest suite', () => {
  const r = spawnSync('python3', ['-B', '-m', 'unittest', 'discover', '-s', path.join(__dirname, 'python'), '-p', 'test_*.py'], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  expect({ status: r.status, tail: r.status === 0 ? '' : r.stderr.slice(-3000) }).toEqual({ status: 0, tail: '' });
  expect(r.stderr).toMatch(/Ran \d+ tests/);
});
