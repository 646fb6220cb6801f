import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inferenceRunnerPath } from '../../lib/edge/private/assets';

// The reference inference runner ships as a Python file; python3's unittest and py_compile check it here
// so that `npm test` and CI run them. Nothing is printed on success.
const root = path.join(__dirname, '..', '..');
const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

test('the runner resolves from the sources and from the compiled package', () => {
  const fromSources = inferenceRunnerPath(path.join(root, 'lib', 'edge'));
  expect(fromSources).toBe(path.join(root, 'assets', 'edge', 'inference', 'inference.py'));
  expect(inferenceRunnerPath(path.join(root, 'dist', 'lib', 'edge'))).toBe(fromSources);
  expect(() => inferenceRunnerPath(fs.mkdtempSync(path.join(os.tmpdir(), 'no-runner-')))).toThrow(/inference\.py was not found/);
});

test('the runner compiles (py_compile)', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pyc-')), 'inference.pyc');
  const result = spawnSync('python3', ['-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)', inferenceRunnerPath(), out], {
    encoding: 'utf8',
    env,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});

test('the runner passes its python3 unit tests', () => {
  const result = spawnSync('python3', ['-B', '-m', 'unittest', 'discover', '-s', path.join(__dirname, 'python'), '-p', 'test_*.py'], {
    encoding: 'utf8',
    env,
    timeout: 30000,
  });
  expect(result.status).toBe(0);
  expect(result.stderr).toMatch(/^Ran \d+ tests/m);
  expect(result.stderr).toMatch(/\nOK\n?$/);
});
