import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The shape the code keeps (issue 14, "What must be shown"): no import cycle among the
 * project's own TypeScript files (tests and their harness included), and no source file
 * over MAX_LINES (test files aside) unless it is listed below with the reason it stays
 * whole. Imports are resolved by the TypeScript compiler itself, with the repo's tsconfig,
 * so `@audio-index/*` package names count like relative paths; type-only and dynamic
 * imports count too (a cycle of types still ties two modules together). No new dependency:
 * `typescript` is already the project's compiler.
 */
const repoRoot = path.resolve(import.meta.dirname, '../..');
const ROOTS = ['apps', 'packages', 'scripts', 'bench', 'test'];
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.cache', 'build', 'dist', 'results']);
const MAX_LINES = 300;

/** Files allowed past MAX_LINES, by repo-relative path, with the reason. */
const LONG_FILES_ALLOWED: Record<string, string> = {};

/** Known cycles, by their files sorted and joined with ' <-> ', with the reason. */
const CYCLES_ALLOWED: Record<string, string> = {};

function projectFiles(roots: readonly string[], base: string): string[] {
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) walk(path.join(directory, entry.name));
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        files.push(path.join(directory, entry.name));
      }
    }
  };
  for (const root of roots) if (fs.existsSync(path.join(base, root))) walk(path.join(base, root));
  return files.sort();
}

function compilerOptions(base: string): ts.CompilerOptions {
  const configPath = path.join(base, 'tsconfig.json');
  if (!fs.existsSync(configPath)) return { moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true, noEmit: true };
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, base).options;
}

/** For each file, the project files it imports (static, dynamic and type-only), resolved as tsc resolves them. */
function importGraph(files: readonly string[], base: string): Map<string, Set<string>> {
  const options = compilerOptions(base);
  const known = new Set(files);
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const edges = new Set<string>();
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const imported of importedFiles) {
      const resolved = ts.resolveModuleName(imported.fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved && known.has(path.resolve(resolved))) edges.add(path.resolve(resolved));
    }
    graph.set(file, edges);
  }
  return graph;
}

/** Groups of files that import each other, directly or through others (Tarjan's strongly connected components). */
function importCycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (file: string) => {
    index.set(file, counter);
    lowLink.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(file, Math.min(lowLink.get(file)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(file, Math.min(lowLink.get(file)!, index.get(next)!));
      }
    }
    if (lowLink.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.has(file)) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

const relative = (file: string) => path.relative(repoRoot, file).split(path.sep).join('/');
/** As `wc -l` counts them, plus a last line without a newline. */
const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
const cycleName = (component: readonly string[]) => component.map(relative).join(' <-> ');

describe('module structure', () => {
  const files = projectFiles(ROOTS, repoRoot);

  it('has no import cycle among the project files', () => {
    expect(files.length).toBeGreaterThan(100); // the walk found the tree
    const cycles = importCycles(importGraph(files, repoRoot)).map(cycleName);
    expect(cycles.filter((name) => !(name in CYCLES_ALLOWED))).toEqual([]);
    // An allowance outlives its cycle only by mistake: drop it once the cycle is gone.
    expect(Object.keys(CYCLES_ALLOWED).filter((name) => !cycles.includes(name))).toEqual([]);
  });

  it(`has no source file over ${MAX_LINES} lines unless allowed with a reason`, () => {
    const long = files
      .filter((file) => !file.endsWith('.test.ts'))
      .map((file) => ({ file: relative(file), lines: lineCount(fs.readFileSync(file, 'utf8')) }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long.filter(({ file }) => !(file in LONG_FILES_ALLOWED))).toEqual([]);
    expect(Object.keys(LONG_FILES_ALLOWED).filter((file) => !long.some((entry) => entry.file === file))).toEqual([]);
  });

  it('finds a cycle through an aliased and a relative import, and none once it is broken', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'module-structure-'));
    try {
      fs.mkdirSync(path.join(base, 'src'));
      fs.writeFileSync(
        path.join(base, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { moduleResolution: 'bundler', allowImportingTsExtensions: true, noEmit: true, baseUrl: '.', paths: { '#lib/*': ['src/*'] } },
        }),
      );
      const write = (name: string, text: string) => fs.writeFileSync(path.join(base, 'src', name), text);
      write('a.ts', "import { b } from './b.ts';\nexport const a = () => b;\n");
      write('b.ts', "import type { C } from '#lib/c.ts';\nexport const b = 1 as unknown as C;\n");
      write('c.ts', "export type C = typeof import('./a.ts');\n");
      write('d.ts', "import { a } from './a.ts';\nexport const d = a;\n");
      const cycles = () => importCycles(importGraph(projectFiles(['src'], base), base)).map((component) => component.map((file) => path.basename(file)));
      expect(cycles()).toEqual([['a.ts', 'b.ts', 'c.ts']]);
      write('c.ts', 'export type C = number;\n');
      expect(cycles()).toEqual([]);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
