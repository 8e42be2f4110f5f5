/**
 * How a run is shown: a fixed-width table for the terminal and a hand-written SVG bar chart
 * (bench/results/latest.svg). Pure functions of the rows, so spec/bench/ can check them.
 */
import type { Row } from './measure.js';

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2);
}

function withUnit(n: number | undefined, unit: string): string {
  return n === undefined ? '—' : `${formatNumber(n)} ${unit}`;
}

export const COLUMNS = ['scenario', 'ours (median)', 'baseline (median)', 'ratio', 'spread (min–max)', 'target', 'verdict', 'note'] as const;

/** One line per row, columns padded to their widest cell; the note column is left ragged. */
export function formatTable(rows: readonly Row[]): string {
  const cells = rows.map((r) => [
    r.scenario,
    withUnit(r.ours, r.unit),
    withUnit(r.baseline, r.unit),
    r.ratio === undefined ? '—' : r.ratio.toFixed(2),
    r.spread ? `${r.spread.min.toFixed(2)}–${r.spread.max.toFixed(2)} (${r.spread.pairs})` : 'once',
    r.target ?? '—',
    r.verdict ?? 'reported',
    r.note ?? '',
  ]);
  const all = [[...COLUMNS], ...cells];
  const widths = COLUMNS.map((_, i) => Math.max(...all.map((line) => line[i]!.length)));
  const numeric = new Set([1, 2, 3, 4]);
  const line = (values: string[]): string =>
    values
      .map((value, i) => (i === values.length - 1 ? value : numeric.has(i) && values !== all[0] ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w, i) => '─'.repeat(i === widths.length - 1 ? Math.max(4, w) : w)).join('  ');
  return [line(all[0]!), rule, ...cells.map(line)].join('\n');
}

export interface ChartMeta {
  date: string;
  node: string;
  cores: number;
  quick: boolean;
  load: { before: number[]; after: number[]; max1: number; busy?: boolean };
  seconds: number;
}

const COLOURS: Record<string, string> = { pass: '#2e7d32', short: '#c62828', straddles: '#ef8f00', reported: '#78909c' };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * One bar per row with a ratio, on a log scale (ratios run from ~0.5 to ~10): the bar is the median ratio, the
 * whisker its min–max across pairs, the black tick the target; the colour is the verdict. Rows without a ratio
 * (reported alone) get their figure as text.
 */
export function chart(rows: readonly Row[], meta: ChartMeta): string {
  const labelWidth = 330;
  const plotWidth = 520;
  const rightWidth = 210;
  const rowHeight = 24;
  const top = 58;
  const width = labelWidth + plotWidth + rightWidth;
  const height = top + rows.length * rowHeight + 44;
  const ratios = rows.flatMap((r) => [r.ratio, r.spread?.max, r.spread?.min]).filter((v): v is number => v !== undefined && v > 0 && Number.isFinite(v));
  const lo = Math.min(0.1, ...ratios.map((v) => v / 1.2));
  const hi = Math.max(20, ...ratios.map((v) => v * 1.2));
  const logLo = Math.log10(lo);
  const span = Math.log10(hi) - logLo;
  const x = (v: number): number => labelWidth + ((Math.log10(Math.min(hi, Math.max(lo, v))) - logLo) / span) * plotWidth;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const busy = meta.load.busy ? ' · machine busy: see the rows marked busy' : '';
  const load = `load ${meta.load.before[0]!.toFixed(2)} → ${meta.load.after[0]!.toFixed(2)} (max ${meta.load.max1.toFixed(2)}) on ${meta.cores} cores${busy}`;
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">qimessaging bench: ours / baseline, median of pairs, min–max whiskers${meta.quick ? ' (quick run)' : ''}</text>`);
  out.push(`<text x="10" y="38" fill="#555">${escape(`${meta.date} · Node ${meta.node} · ${load} · ${Math.round(meta.seconds)} s`)}</text>`);
  // Grid: 1-2-5 decades.
  for (let decade = Math.floor(logLo); decade <= Math.ceil(Math.log10(hi)); decade++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** decade;
      if (v < lo || v > hi) continue;
      const gx = x(v).toFixed(1);
      out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + rows.length * rowHeight}" stroke="${v === 1 ? '#999' : '#e0e0e0'}"/>`);
      out.push(`<text x="${gx}" y="${top + rows.length * rowHeight + 16}" text-anchor="middle" fill="#555">${Number(v.toPrecision(1))}</text>`);
    }
  }
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const mid = y + rowHeight / 2;
    const colour = COLOURS[r.verdict ?? 'reported']!;
    out.push(`<text x="${labelWidth - 8}" y="${mid + 4}" text-anchor="end">${escape(r.scenario)}</text>`);
    if (r.ratio === undefined || !Number.isFinite(r.ratio) || r.ratio <= 0) {
      out.push(`<text x="${labelWidth + 4}" y="${mid + 4}" fill="${colour}">${escape(`${formatNumber(r.ours)} ${r.unit} (reported, no ratio)`)}</text>`);
      return;
    }
    out.push(`<rect x="${labelWidth}" y="${y + 5}" width="${Math.max(1, x(r.ratio) - labelWidth).toFixed(1)}" height="${rowHeight - 10}" fill="${colour}" fill-opacity="0.75"/>`);
    if (r.spread) {
      const [a, b] = [x(r.spread.min).toFixed(1), x(r.spread.max).toFixed(1)];
      out.push(`<line x1="${a}" y1="${mid}" x2="${b}" y2="${mid}" stroke="#222" stroke-width="1.5"/>`);
      for (const end of [a, b]) out.push(`<line x1="${end}" y1="${y + 7}" x2="${end}" y2="${y + rowHeight - 7}" stroke="#222" stroke-width="1.5"/>`);
    }
    const target = /^([<>])= (.+)$/.exec(r.target ?? '');
    if (target && Number.isFinite(Number(target[2]))) {
      const tx = x(Number(target[2])).toFixed(1);
      out.push(`<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + rowHeight - 1}" stroke="#000" stroke-width="3"/>`);
    }
    const spread = r.spread ? ` (${r.spread.min.toFixed(2)}–${r.spread.max.toFixed(2)})` : '';
    // A target that is not a ratio (signal-fanout's frame count) is told by the colour alone.
    const goal = target ? `  ${r.target}` : '';
    const busy = r.note?.startsWith('BUSY') ? ' · busy' : '';
    out.push(`<text x="${labelWidth + plotWidth + 8}" y="${mid + 4}" fill="${colour}">${escape(`${r.ratio.toFixed(2)}${spread}${goal}${busy}`)}</text>`);
  });
  const legendY = height - 10;
  let lx = 10;
  for (const [name, colour] of Object.entries(COLOURS)) {
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${colour}" fill-opacity="0.75"/><text x="${lx + 16}" y="${legendY}">${name}</text>`);
    lx += 30 + name.length * 7;
  }
  out.push(`<line x1="${lx}" y1="${legendY - 11}" x2="${lx}" y2="${legendY + 2}" stroke="#000" stroke-width="3"/><text x="${lx + 6}" y="${legendY}">target</text>`);
  out.push(`<text x="${lx + 60}" y="${legendY}" fill="#555">log scale; latency and bind-time rows: lower is better</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
