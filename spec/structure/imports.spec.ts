/**
 * The layering, checked from the sources' import statements (type-only imports included): no import circle among
 * lib/ and actors/; nothing in lib/ below the public API (lib/api/, the entries) imports a machine from actors/;
 * the machines never import the public API; only transports import socket modules; only the nats:// transport
 * and the JetStream directory store import the NATS client, only that store imports `@nats-io/kv`, and the
 * browser entry reaches neither.
 *
 *   npx mocha spec/structure/imports.spec.ts
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*'([^']+)'|(?:^|\n)\s*import\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;

function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(folder, file));
}

/** Every module each source file imports: project files as paths from the root, packages by name. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const targets: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      targets.push(specifier.startsWith('.') ? relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** One import circle as a list of files, or undefined. */
function findCircle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'open');
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      const circle = visit(target);
      if (circle) return circle;
    }
    path.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of graph.keys()) {
    const circle = visit(file);
    if (circle) return circle;
  }
  return undefined;
}

const isPublicApi = (file: string): boolean => file.startsWith('lib/api/') || file === 'lib/index.ts' || file === 'lib/browser.ts';

describe('the layering', () => {
  const graph = importGraph([...sources('lib'), ...sources('actors')]);

  it('reads the imports of every source file (the check is not vacuous)', () => {
    expect(graph.size).to.be.above(50);
    expect(graph.get('lib/api/gateway.ts')).to.include('actors/gateway.ts');
  });

  it('has no import circle', () => {
    const circle = findCircle(graph);
    expect(circle, circle && `import circle: ${circle.join(' → ')}`).to.equal(undefined);
  });

  it('finds a circle where there is one', () => {
    const circular = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
    ]);
    expect(findCircle(circular)).to.deep.equal(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  });

  it('keeps lib/ below the public API free of imports from actors/', () => {
    const offenders = [...graph].flatMap(([file, targets]) =>
      file.startsWith('lib/') && !isPublicApi(file) ? targets.filter((t) => t.startsWith('actors/')).map((t) => `${file} → ${t}`) : [],
    );
    expect(offenders).to.deep.equal([]);
  });

  it('keeps the machines below the public API', () => {
    const offenders = [...graph].flatMap(([file, targets]) =>
      file.startsWith('actors/') ? targets.filter(isPublicApi).map((t) => `${file} → ${t}`) : [],
    );
    expect(offenders).to.deep.equal([]);
  });

  it('lets only transports import socket modules', () => {
    const socketModules = ['node:net', 'node:tls', 'node:http', 'node:https', 'ws'];
    const offenders = [...graph].flatMap(([file, targets]) =>
      file.startsWith('lib/transports/') ? [] : targets.filter((t) => socketModules.includes(t)).map((t) => `${file} → ${t}`),
    );
    expect(offenders).to.deep.equal([]);
  });

  it('lets only lib/transports/nats.ts and the JetStream store import the NATS client, only that store @nats-io/kv, and keeps both off the browser entry', () => {
    const allowed: Record<string, string[]> = {
      'lib/transports/nats.ts': ['@nats-io/transport-node'],
      'lib/directory/jetstream-store.ts': ['@nats-io/transport-node', '@nats-io/kv'],
    };
    const offenders = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => t.startsWith('@nats-io/') && !(allowed[file] ?? []).includes(t)).map((t) => `${file} → ${t}`),
    );
    expect(offenders).to.deep.equal([]);
    expect(graph.get('lib/directory/jetstream-store.ts')).to.include('@nats-io/kv');
    const reached = new Set<string>();
    const walk = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const target of graph.get(file) ?? []) walk(target);
    };
    walk('lib/browser.ts');
    expect([...reached].filter((file) => file.includes('nats'))).to.deep.equal([]);
  });
});
