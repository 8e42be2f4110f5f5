/**
 * What a heap grew by between two snapshots of one process (`v8.writeHeapSnapshot()`): the objects in the second
 * that are not in the first (snapshot ids are stable within a process), grouped by type and name, per `per` units
 * (e.g. per binding). With a constructor name, also groups that constructor's new objects by their first property
 * names, which tells apart plain objects of different origins.
 * Usage: node --max-old-space-size=8000 bench/tools/heap-diff.mjs BEFORE AFTER [per] [constructor]
 */
import { readFileSync } from 'node:fs';

const [beforeFile, afterFile, perArg, constructorName] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  console.error('usage: node bench/tools/heap-diff.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [per] [constructor]');
  process.exit(2);
}
const per = Number(perArg ?? 1);

function load(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const meta = snapshot.snapshot.meta;
  const field = (name) => meta.node_fields.indexOf(name);
  return { snapshot, meta, width: meta.node_fields.length, type: field('type'), name: field('name'), id: field('id'), size: field('self_size'), edges: field('edge_count') };
}

const before = load(beforeFile);
const known = new Set();
for (let i = 0; i < before.snapshot.nodes.length; i += before.width) known.add(before.snapshot.nodes[i + before.id]);

const after = load(afterFile);
const { snapshot, meta, width } = after;
const { nodes, strings, edges } = snapshot;
const edgeWidth = meta.edge_fields.length;
const edgeType = meta.edge_fields.indexOf('type');
const edgeName = meta.edge_fields.indexOf('name_or_index');
const groups = new Map();
const shapes = new Map();
let grown = 0;
for (let i = 0, edge = 0; i < nodes.length; i += width) {
  const edgeCount = nodes[i + after.edges];
  const firstEdge = edge;
  edge += edgeCount * edgeWidth;
  if (known.has(nodes[i + after.id])) continue;
  const name = strings[nodes[i + after.name]];
  const size = nodes[i + after.size];
  const key = `${meta.node_types[0][nodes[i + after.type]]}: ${String(name).slice(0, 60)}`;
  const group = groups.get(key) ?? { count: 0, bytes: 0 };
  group.count++;
  group.bytes += size;
  groups.set(key, group);
  grown += size;
  if (name !== constructorName) continue;
  const properties = [];
  for (let e = firstEdge; e < edge && properties.length < 7; e += edgeWidth) {
    if (meta.edge_types[0][edges[e + edgeType]] === 'property') properties.push(strings[edges[e + edgeName]]);
  }
  const shape = properties.join(',');
  const entry = shapes.get(shape) ?? { count: 0, bytes: 0 };
  entry.count++;
  entry.bytes += size;
  shapes.set(shape, entry);
}

const show = (title, map) => {
  console.log(`\n${title}: count and bytes per ${per === 1 ? 'snapshot' : `${per} units, per unit`}`);
  for (const [key, { count, bytes }] of [...map].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 30)) {
    console.log(`${(count / per).toFixed(2).padStart(10)} ${(bytes / per).toFixed(0).padStart(9)} B  ${key}`);
  }
};
console.log(`new objects: ${(grown / per).toFixed(0)} bytes${per === 1 ? '' : ' per unit'}`);
show('by type and name', groups);
if (constructorName) show(`new ${constructorName} objects by their first properties`, shapes);
