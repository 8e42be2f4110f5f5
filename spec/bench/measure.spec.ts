/** The bench's pure helpers: pairing statistics, verdicts, the table and the chart (bench/measure.ts, report.ts). */
import { expect } from 'chai';
import { median, paired, pairedRow, percentile, summarise, verdict } from '../../bench/measure.js';
import { chart, formatTable } from '../../bench/report.js';

describe('bench helpers', () => {
  it('median and percentile', () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    expect(percentile([5, 1, 4, 2, 3], 0.5)).to.equal(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99)).to.equal(100);
  });

  it('summarises pairs: median ratio, its spread, and each side’s median', () => {
    const s = summarise([
      { baseline: 100, ours: 50 },
      { baseline: 100, ours: 80 },
      { baseline: 200, ours: 60 },
    ]);
    expect(s.ratio).to.equal(0.5);
    expect(s.min).to.equal(0.3);
    expect(s.max).to.equal(0.8);
    expect(s.ours).to.equal(60);
    expect(s.baseline).to.equal(100);
  });

  it('alternates baseline and ours after one discarded warm-up pair', async () => {
    const order: string[] = [];
    let n = 0;
    const result = await paired(
      async () => (order.push('A'), 10),
      async () => (order.push('B'), ++n),
      3,
    );
    expect(order.join('')).to.equal('ABABABAB');
    expect(result.samples.map((s) => s.ours)).to.deep.equal([2, 3, 4]);
  });

  it('a spread that reaches both sides of the target straddles, whatever the median', () => {
    expect(verdict(0.6, { atLeast: 0.5 }, { min: 0.55, max: 0.7 })).to.equal('pass');
    expect(verdict(0.6, { atLeast: 0.5 }, { min: 0.45, max: 0.7 })).to.equal('straddles');
    expect(verdict(0.45, { atLeast: 0.5 }, { min: 0.4, max: 0.55 })).to.equal('straddles');
    expect(verdict(0.4, { atLeast: 0.5 }, { min: 0.3, max: 0.45 })).to.equal('short');
    expect(verdict(1.1, { atMost: 1.3 }, { min: 1.0, max: 1.4 })).to.equal('straddles');
    expect(verdict(1.1, { atMost: 1.3 })).to.equal('pass');
  });

  it('prints every column and draws one bar per row with a ratio', () => {
    const rows = [
      pairedRow('tcp-gateway-throughput', 'calls/s', summarise([{ baseline: 2, ours: 1 }, { baseline: 2, ours: 1.2 }]), { atLeast: 0.5 }),
      { scenario: 'heap <all> & sides', unit: 'bytes', ours: 8000 },
    ];
    const table = formatTable(rows);
    expect(table).to.match(/spread \(min–max\)/);
    expect(table).to.match(/0\.50–0\.60 \(2\)/);
    expect(table).to.match(/reported/);
    const svg = chart(rows, { date: 'd', node: 'v20', cores: 2, quick: false, seconds: 1, load: { before: [1, 1, 1], after: [1, 1, 1], max1: 1 } });
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(svg).to.include('heap &lt;all&gt; &amp; sides');
    expect(svg.match(/fill-opacity="0.75"\/>\n/g)?.length).to.equal(1);
  });
});
