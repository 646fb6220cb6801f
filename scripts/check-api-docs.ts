/**
 * Fails the jsii build when the public API has a gap in its doc comments: every type, property,
 * method, method and constructor parameter and enum member of the jsii assembly needs a summary (the first sentence
 * of its doc comment), and every optional property of a struct (an `XxxProps`, an option bag) a
 * `@default`. The API reference (docs/API.md) is generated from these
 * comments, so a gap here is a gap there.
 *
 * Usage: `tsx scripts/check-api-docs.ts dist-jsii/.jsii` (scripts/jsii-build.sh runs it).
 */
import * as fs from 'fs';

/** The part of a jsii assembly's doc block this check reads (`@jsii/spec`'s `Docs`). */
interface Docs {
  readonly summary?: string;
  readonly default?: string;
}

interface Parameter {
  readonly name: string;
  readonly docs?: Docs;
  readonly optional?: boolean;
}

interface Property {
  readonly name: string;
  readonly docs?: Docs;
  readonly optional?: boolean;
}

interface Method {
  readonly name: string;
  readonly docs?: Docs;
  readonly parameters?: readonly Parameter[];
}

interface Type {
  readonly fqn: string;
  readonly kind: string;
  readonly docs?: Docs;
  readonly datatype?: boolean;
  readonly initializer?: { readonly parameters?: readonly Parameter[] };
  readonly properties?: readonly Property[];
  readonly methods?: readonly Method[];
  readonly members?: ReadonlyArray<{ readonly name: string; readonly docs?: Docs }>;
}

/** The part of a jsii assembly (`.jsii`) this check reads. */
export interface AssemblyDocs {
  readonly name: string;
  readonly types?: Readonly<Record<string, Type>>;
}

const hasSummary = (docs: Docs | undefined): boolean => (docs?.summary ?? '').trim().length > 0;
const hasDefault = (docs: Docs | undefined): boolean => (docs?.default ?? '').trim().length > 0;

/** The gaps in an assembly's doc comments, one line each (`<fqn>[.<member>]: <what is missing>`), sorted. */
export function findDocGaps(assembly: AssemblyDocs): string[] {
  const gaps: string[] = [];
  const parameters = (where: string, params: readonly Parameter[] | undefined): void => {
    for (const param of params ?? []) {
      if (!hasSummary(param.docs)) gaps.push(`${where}(${param.name}): no @param description`);
    }
  };
  for (const type of Object.values(assembly.types ?? {})) {
    if (!hasSummary(type.docs)) gaps.push(`${type.fqn}: no summary`);
    parameters(`${type.fqn}.constructor`, type.initializer?.parameters);
    for (const property of type.properties ?? []) {
      const where = `${type.fqn}.${property.name}`;
      if (!hasSummary(property.docs)) gaps.push(`${where}: no summary`);
      if (type.datatype && property.optional && !hasDefault(property.docs)) {
        gaps.push(`${where}: optional property without @default`);
      }
    }
    for (const method of type.methods ?? []) {
      const where = `${type.fqn}.${method.name}`;
      if (!hasSummary(method.docs)) gaps.push(`${where}: no summary`);
      parameters(where, method.parameters);
    }
    for (const member of type.members ?? []) {
      if (!hasSummary(member.docs)) gaps.push(`${type.fqn}.${member.name}: no summary`);
    }
  }
  return gaps.sort();
}

function main(file: string | undefined): number {
  if (!file) {
    console.error('usage: check-api-docs <path to .jsii>');
    return 2;
  }
  const assembly = JSON.parse(fs.readFileSync(file, 'utf8')) as AssemblyDocs;
  const gaps = findDocGaps(assembly);
  const types = Object.keys(assembly.types ?? {}).length;
  if (gaps.length > 0) {
    console.error(`API doc comments: ${gaps.length} gaps in ${assembly.name} (write the doc comment in lib/):`);
    for (const gap of gaps) console.error(`  ${gap}`);
    return 1;
  }
  console.log(`API doc comments: complete for ${types} types`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv[2]);
