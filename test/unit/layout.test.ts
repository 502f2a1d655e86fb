/**
 * The tree's architecture, held by a test: no import circles, and imports only in the direction
 * the README's code map describes (http/ hands requests to graphql/, never the other way; the
 * upstream client knows nothing of GraphQL; the schema takes only types from src/, and the wire
 * values it publishes).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface ImportEdge {
  /** Repository-relative path of the imported file, or the package name. */
  target: string;
  typeOnly: boolean;
}

const graph = readGraph(['src', 'schema']);

describe('the layout of src/ and schema/', () => {
  it('has no import circle (type-only imports included)', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  // What GraphQL is, to code that must know nothing of it: the libraries and our own layers.
  const GRAPHQL = /^(schema\/|graphql$|graphql-yoga$|@pothos\/|@apollo\/|src\/graphql\/)/;

  it.each([
    ['the upstream client', 'src/upstream/', /^src\/(http|webhooks|telemetry|simulator)\//],
    ['the webhook rules', 'src/webhooks/', /^src\/http\//],
  ])('keeps %s free of GraphQL and of HTTP serving', (_, folder, alsoForbidden) => {
    expect(
      violations(folder, ({ target }) => GRAPHQL.test(target) || alsoForbidden.test(target)),
    ).toEqual([]);
  });

  it('never lets graphql/ reach back into the HTTP server in front of it', () => {
    expect(violations('src/graphql/', (edge) => edge.target.startsWith('src/http/'))).toEqual([]);
  });

  /** An import of src/ other than the wire module (Featurebase's types, written once). */
  const beyondWire = ({ target }: ImportEdge) =>
    target.startsWith('src/') && target !== 'src/upstream/wire.ts';

  it('keeps the simulator apart: from the gateway it shares only the wire types', () => {
    const found = violations('src/simulator/', (edge) => beyondWire(edge));
    expect(found.filter((violation) => !violation.includes('-> src/simulator/'))).toEqual([]);
  });

  it('lets the schema take only types from src/, and the wire values it publishes as enums', () => {
    // The topic and status lists are Featurebase's: the schema's enums are built from them, so
    // they cannot drift apart.
    expect(violations('schema/', (edge) => beyondWire(edge) && !edge.typeOnly)).toEqual([]);
  });

  it('reads the environment in config.ts only (and in the simulator’s own entry point)', () => {
    const readers = [...graph.keys()].filter((file) =>
      /process\.env\b/.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(readers.sort()).toEqual(['src/config.ts', 'src/simulator/main.ts']);
  });

  it('imports main.ts from nowhere (the only module with side effects)', () => {
    expect(violations('', (edge) => edge.target === 'src/main.ts')).toEqual([]);
  });
});

function violations(folder: string, forbidden: (edge: ImportEdge) => boolean): string[] {
  const found: string[] = [];
  for (const [file, edges] of graph) {
    if (!file.startsWith(folder)) continue;
    for (const edge of edges) if (forbidden(edge)) found.push(`${file} -> ${edge.target}`);
  }
  return found;
}

function readGraph(folders: string[]): Map<string, ImportEdge[]> {
  const result = new Map<string, ImportEdge[]>();
  for (const folder of folders) {
    for (const file of listTypeScript(join(ROOT, folder))) {
      result.set(relative(ROOT, file), importsOf(file));
    }
  }
  return result;
}

function listTypeScript(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : listTypeScript(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): ImportEdge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const edges: ImportEdge[] = [];
  for (const statement of source.statements) {
    if (
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier &&
      ts.isStringLiteral(statement.moduleSpecifier)
    ) {
      const specifier = statement.moduleSpecifier.text;
      const target = specifier.startsWith('.')
        ? relative(ROOT, resolve(dirname(file), specifier))
        : packageName(specifier);
      edges.push({ target, typeOnly: isTypeOnly(statement) });
    }
  }
  return edges;
}

function isTypeOnly(statement: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(statement)) return statement.isTypeOnly;
  const clause = statement.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  );
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Each circle once, as the files along it (depth-first search, colouring nodes). */
function findCycles(edges: Map<string, ImportEdge[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const { target } of edges.get(file) ?? []) {
      if (!edges.has(target)) continue;
      const seen = state.get(target);
      if (seen === 'open')
        cycles.push([...stack.slice(stack.indexOf(target)), target].join(' -> '));
      else if (seen === undefined) visit(target);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of edges.keys()) if (!state.has(file)) visit(file);
  return cycles;
}
