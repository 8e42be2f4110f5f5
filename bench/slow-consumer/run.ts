/**
 * A slow consumer with real processes: a directory+service process (a method returning 64 KiB), a gateway
 * process, a good client process (one call every 10 ms through the gateway, or direct with --direct) and, after
 * `--alone` seconds, a slow client process that calls and never reads its socket (up to 100,000 calls outstanding).
 * Every second prints the RSS of the service and the gateway, the good client's p50/p99 and timeouts, and the
 * slow consumers cut off with LimitExceeded (by the gateway, or the service when direct).
 *
 *   npm run build && npx tsx bench/slow-consumer/run.ts [--seconds 60] [--alone 15] [--direct] [--max-rss-mb 3000]
 *
 * QIM_ROOT=<checkout with dist/> measures another build (e.g. the commit before the fix).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    alone: { type: 'string', default: '15' },
    direct: { type: 'boolean', default: false },
    'max-rss-mb': { type: 'string', default: '3000' },
  },
});
const role = new URL('./role.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];

function start(name: string, ...args: string[]): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', role, name, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
}
async function first(lines: AsyncIterator<string>): Promise<Record<string, string>> {
  return JSON.parse((await lines.next()).value as string) as Record<string, string>;
}
function rssMb(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : 0;
  } catch {
    return 0;
  }
}
const stopAll = (): void => children.forEach((child) => child.kill());
process.on('exit', stopAll);

const service = start('service');
const { directory, service: serviceUrl } = await first(service.lines);
const gateway = start('gateway', directory!);
const { gateway: gatewayUrl } = await first(gateway.lines);
const cuts = { service: { cuts: 0, peakBufferedMb: 0 }, gateway: { cuts: 0, peakBufferedMb: 0 } };
for (const [name, role] of [['service', service], ['gateway', gateway]] as const) {
  void (async () => {
    for (let line = await role.lines.next(); !line.done; line = await role.lines.next()) cuts[name] = JSON.parse(line.value as string);
  })();
}
const target = values.direct ? serviceUrl! : gatewayUrl!;
const good = start('good', target);
await first(good.lines);

let goodLast: { p50: number | null; p99: number | null; calls: number; timeouts: number; errors: number } | undefined;
void (async () => {
  for (let line = await good.lines.next(); !line.done; line = await good.lines.next()) goodLast = JSON.parse(line.value as string);
})();
let slowLast: { connections: number; sent: number } | undefined;

const seconds = Number(values.seconds);
const alone = Number(values.alone);
const maxRss = Number(values['max-rss-mb']);
const rows: Array<Record<string, unknown>> = [];
console.log(`# ${values.direct ? 'direct' : 'via gateway'}; slow client from t=${alone} s; QIM_ROOT=${process.env.QIM_ROOT ?? '(this checkout)'}`);
console.log('t_s\tslow\tservice_rss_mb\tgateway_rss_mb\tgood_calls\tgood_p50_ms\tgood_p99_ms\tgood_timeouts\tgood_errors\tslow_conns\tcuts\tpeak_buffered_mb');
for (let t = 1; t <= seconds; t++) {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  if (t === alone + 1) {
    const slow = start('slow', target);
    void (async () => {
      for (let line = await slow.lines.next(); !line.done; line = await slow.lines.next()) slowLast = JSON.parse(line.value as string);
    })();
  }
  const row = {
    t,
    slow: t > alone,
    service: rssMb(service.child.pid),
    gateway: values.direct ? 0 : rssMb(gateway.child.pid),
    ...goodLast,
    connections: slowLast?.connections ?? 0,
    cuts: values.direct ? cuts.service.cuts : cuts.gateway.cuts,
    peakBufferedMb: values.direct ? cuts.service.peakBufferedMb : cuts.gateway.peakBufferedMb,
  };
  rows.push(row);
  const ms = (v: number | null | undefined): string => (v == null ? '-' : v.toFixed(2));
  console.log([t, row.slow ? 'yes' : 'no', row.service, row.gateway, goodLast?.calls ?? 0, ms(goodLast?.p50), ms(goodLast?.p99), goodLast?.timeouts ?? 0, goodLast?.errors ?? 0, row.connections, row.cuts, row.peakBufferedMb].join('\t'));
  if (row.service > maxRss || row.gateway > maxRss) {
    console.log(`# stopped: RSS past ${maxRss} MB`);
    break;
  }
}
const summary = (slow: boolean) => {
  const selected = rows.filter((r) => r.slow === slow);
  const p50s = selected.map((r) => r.p50 as number | null).filter((v): v is number => v != null).sort((a, b) => a - b);
  return {
    seconds: selected.length,
    medianOfSecondP50Ms: p50s.length ? p50s[Math.floor(p50s.length / 2)] : null,
    timeouts: selected.reduce((n, r) => n + ((r.timeouts as number) ?? 0), 0),
    maxServiceRssMb: Math.max(0, ...selected.map((r) => r.service as number)),
    maxGatewayRssMb: Math.max(0, ...selected.map((r) => r.gateway as number)),
    maxBufferedForOnePeerMb: Math.max(0, ...selected.map((r) => r.peakBufferedMb as number)),
  };
};
console.log(JSON.stringify({ alone: summary(false), withSlow: { ...summary(true), cuts: rows.at(-1)?.cuts ?? 0, slowConnections: slowLast?.connections ?? 0, slowCallsSent: slowLast?.sent ?? 0 } }));
stopAll();
process.exit(0);
