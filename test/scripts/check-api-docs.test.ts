import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AssemblyDocs, findDocGaps } from '../../scripts/check-api-docs';

/** A small assembly in the shape jsii writes, every doc comment in place. */
function completeAssembly(): AssemblyDocs {
  return {
    name: 'fixture',
    types: {
      'fixture.Widget': {
        fqn: 'fixture.Widget',
        kind: 'class',
        docs: { summary: 'A widget.' },
        initializer: { parameters: [{ name: 'scope', docs: { summary: 'the scope to define it in' } }] },
        properties: [
          { name: 'size', docs: { summary: 'Its size.' } },
          // A class's optional property says when it is undefined; it needs no @default.
          { name: 'colour', docs: { summary: 'Its colour, where known.' }, optional: true },
        ],
        methods: [
          {
            name: 'grantUse',
            docs: { summary: 'Grants using it.' },
            parameters: [{ name: 'grantee', docs: { summary: 'the principal to grant to' } }],
          },
        ],
      },
      'fixture.WidgetProps': {
        fqn: 'fixture.WidgetProps',
        kind: 'interface',
        datatype: true,
        docs: { summary: 'Props of a widget.' },
        properties: [
          { name: 'size', docs: { summary: 'The size.' } },
          { name: 'colour', docs: { summary: 'The colour.', default: "'blue'" }, optional: true },
        ],
      },
      'fixture.Shape': {
        fqn: 'fixture.Shape',
        kind: 'enum',
        docs: { summary: 'A shape.' },
        members: [{ name: 'ROUND', docs: { summary: 'Round.' } }],
      },
    },
  };
}

interface MutableDocs { summary?: string; default?: string }
interface Documented { docs?: MutableDocs }
interface MutableType extends Documented {
  initializer?: { parameters?: Documented[] };
  properties?: Documented[];
  methods?: Array<Documented & { parameters?: Documented[] }>;
  members?: Documented[];
}

/** The complete fixture with one change made to a copy. */
function withChange(change: (types: Record<string, MutableType>) => void): AssemblyDocs {
  const assembly = JSON.parse(JSON.stringify(completeAssembly()));
  change(assembly.types);
  return assembly;
}

describe('check-api-docs', () => {
  test('finds no gap in a fully documented assembly', () => {
    expect(findDocGaps(completeAssembly())).toEqual([]);
  });

  test('fails when a type has no summary', () => {
    const gaps = findDocGaps(withChange((t) => { t['fixture.Widget'].docs = {}; }));
    expect(gaps).toEqual(['fixture.Widget: no summary']);
  });

  test('fails when a type has no docs at all, or a blank summary', () => {
    expect(findDocGaps(withChange((t) => { delete t['fixture.Shape'].docs; }))).toEqual(['fixture.Shape: no summary']);
    expect(findDocGaps(withChange((t) => { t['fixture.Shape'].docs!.summary = '  '; }))).toEqual(['fixture.Shape: no summary']);
  });

  test('fails when a property has no summary', () => {
    const gaps = findDocGaps(withChange((t) => { t['fixture.Widget'].properties![0].docs = {}; }));
    expect(gaps).toEqual(['fixture.Widget.size: no summary']);
  });

  test('fails when an optional struct property has no @default', () => {
    const gaps = findDocGaps(withChange((t) => { delete t['fixture.WidgetProps'].properties![1].docs!.default; }));
    expect(gaps).toEqual(['fixture.WidgetProps.colour: optional property without @default']);
  });

  test('fails when a method has no summary', () => {
    const gaps = findDocGaps(withChange((t) => { t['fixture.Widget'].methods![0].docs = {}; }));
    expect(gaps).toEqual(['fixture.Widget.grantUse: no summary']);
  });

  test('fails when a method parameter has no @param description', () => {
    const gaps = findDocGaps(withChange((t) => { delete t['fixture.Widget'].methods![0].parameters![0].docs; }));
    expect(gaps).toEqual(['fixture.Widget.grantUse(grantee): no @param description']);
  });

  test('fails when a constructor parameter has no @param description', () => {
    const gaps = findDocGaps(withChange((t) => { t['fixture.Widget'].initializer!.parameters![0].docs = {}; }));
    expect(gaps).toEqual(['fixture.Widget.constructor(scope): no @param description']);
  });

  test('fails when an enum member has no summary', () => {
    const gaps = findDocGaps(withChange((t) => { t['fixture.Shape'].members![0].docs = {}; }));
    expect(gaps).toEqual(['fixture.Shape.ROUND: no summary']);
  });

  test('the command exits 1 and lists the gaps when the assembly has one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-docs-'));
    try {
      const file = path.join(dir, '.jsii');
      fs.writeFileSync(file, JSON.stringify(withChange((t) => { t['fixture.Shape'].members![0].docs = {}; })));
      const root = path.join(__dirname, '..', '..');
      const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'check-api-docs.ts'), file], { cwd: root, encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('1 gaps in fixture');
      expect(run.stderr).toContain('fixture.Shape.ROUND: no summary');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
