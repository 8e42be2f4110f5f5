/**
 * Summarises a `.cpuprofile` (from `node --cpu-prof`): the functions with the most samples of their own, then the
 * most samples including their callees. Usage: node bench/tools/profile-summary.mjs FILE.cpuprofile [rows]
 * Under tsx, a process writes two profiles; the `.0.` one is the main thread (the `.1.` one is tsx's loader).
 */
import { readFileSync } from 'node:fs';

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/tools/profile-summary.mjs FILE.cpuprofile [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const samples = new Map();
for (const id of profile.samples) samples.set(id, (samples.get(id) ?? 0) + 1);
const total = profile.samples.length;
const label = ({ callFrame: f }) => `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;

const self = new Map();
const inclusive = new Map();
function walk(id, onStack) {
  const node = nodes.get(id);
  const key = label(node);
  let sum = samples.get(id) ?? 0;
  self.set(key, (self.get(key) ?? 0) + sum);
  const outermost = !onStack.has(key);
  onStack.add(key);
  for (const child of node.children ?? []) sum += walk(child, onStack);
  if (outermost) {
    onStack.delete(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
  }
  return sum;
}
walk(profile.nodes[0].id, new Set());

const print = (title, counts) => {
  console.log(`\n${title} (% of ${total} samples)`);
  for (const [key, count] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    console.log(`${((100 * count) / total).toFixed(1).padStart(6)}  ${key}`);
  }
};
print('self', self);
print('inclusive', inclusive);
