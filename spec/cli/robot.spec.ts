/**
 * qi against an in-process robot over TCP (so that the spec sees the service side): properties, watch --count,
 * Ctrl-C during a call canceling it at the service, --timeout, credentials.
 */
import { expect } from 'chai';
import {
  createGateway,
  createService,
  createServiceDirectory,
  property,
  signal,
  tokenAuthenticator,
  withContext,
  type Gateway,
} from '../../lib/index.js';
import { eventually } from '../helpers.js';
import { finished, qi, startQi } from './run-qi.js';

describe('qi against a robot over TCP', function () {
  this.timeout(60_000);
  const opened: Array<{ close(): Promise<void> }> = [];
  const aborts: string[] = [];
  const posted: unknown[] = [];
  let started = 0;
  let gateway: Gateway;
  let env: Record<string, string>;
  let directoryUrl: string;
  const tts = {
    spoke: signal<[word: string, index: number]>(),
    volume: property(50, { validate: (v) => typeof v === 'number' && v >= 0 && v <= 100 }),
    model: property('nao', { readOnly: true }),
    say(text: string) {
      text.split(' ').forEach((word, i) => tts.spoke.emit(word, i));
      return text.length;
    },
    log(line: string) {
      posted.push(line);
    },
    recite: withContext(({ signal: aborted }, ms: number) => {
      started++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms, 'done');
        aborted.addEventListener('abort', () => {
          clearTimeout(timer);
          aborts.push(String((aborted.reason as Error).message));
          reject(aborted.reason);
        });
      });
    }),
  };

  before(async () => {
    const directory = await createServiceDirectory({ listen: ['memory://'] });
    opened.push(directory);
    directoryUrl = directory.url;
    opened.push(await createService('tts', tts, { directory: directory.url }));
    gateway = await createGateway({ directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    opened.push(gateway);
    env = { QI_URL: gateway.url };
  });

  after(async () => {
    for (const handle of opened.splice(0).reverse()) await handle.close();
  });

  it('shows properties with their values and read-only flag', async () => {
    const text = await qi(['info', 'tts'], env);
    expect(text.stdout).to.match(/volume\s+50\n/);
    expect(text.stdout).to.match(/model\s+"nao"\s+\(read-only\)/);
    expect(text.stdout).to.match(/signals\n\s+\d+\s+spoke/);
    const json = JSON.parse((await qi(['info', 'tts', 'model', '--json'], env)).stdout) as { properties: unknown[] };
    expect(json.properties).to.deep.equal([{ id: 102, name: 'model', readOnly: true, value: 'nao' }]);
  });

  it('gets and sets properties; a refused or read-only value is exit 4, unchanged', async () => {
    expect((await qi(['get', 'tts.model'], env)).stdout).to.equal('nao\n');
    expect((await qi(['get', 'tts.model', '--json'], env)).stdout).to.equal('"nao"\n');
    expect((await qi(['set', 'tts.volume', '70'], env)).code).to.equal(0);
    expect(tts.volume.get()).to.equal(70);
    const refused = await qi(['set', 'tts.volume', '500'], env);
    expect([refused.code, refused.stderr]).to.deep.equal([4, 'qi: BadArguments: property volume: value 500 refused\n']);
    expect((await qi(['set', 'tts.model', 'pepper'], env)).code).to.equal(4);
    expect(tts.model.get()).to.equal('nao');
    expect((await qi(['get', 'tts.volume'], env)).stdout).to.equal('70\n');
  });

  it('posts: the service runs the method', async () => {
    expect((await qi(['post', 'tts.log', 'fire and forget'], env)).code).to.equal(0);
    await eventually(() => posted.includes('fire and forget'), 2_000, 'the post to run');
  });

  it('watches a signal and a property until --count, with timestamps; --json gives one object a line', async () => {
    const watching = startQi(['watch', 'tts.spoke', 'tts.volume', '--count', '3', '--json'], env);
    const result = finished(watching);
    // Emit until the watcher has subscribed (its subscriptions are in place before it waits).
    const emitting = setInterval(() => tts.spoke.emit('ping', 0), 50);
    try {
      const run = await result;
      expect(run.code, run.stderr).to.equal(0);
      const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).to.have.length(3);
      expect(lines[0]).to.include({ service: 'tts', member: 'spoke', kind: 'signal' });
      expect(lines[0]!.args).to.deep.equal(['ping', 0]);
      expect(Date.parse(lines[0]!.time as string)).to.be.closeTo(Date.now(), 30_000);
    } finally {
      clearInterval(emitting);
    }
    const whole = startQi(['watch', 'tts', '--count', '2'], env);
    const wholeRun = finished(whole);
    const changing = setInterval(() => tts.volume.set(tts.volume.get() === 10 ? 20 : 10), 50);
    try {
      const run = await wholeRun;
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^\d{4}-\d\d-\d\dT[\d:.]+Z tts\.volume = (10|20)\n/);
    } finally {
      clearInterval(changing);
    }
  });

  it('Ctrl-C during a call cancels it at the service and exits 130', async () => {
    const before = started;
    const calling = startQi(['call', 'tts.recite', '30000'], env);
    const result = finished(calling);
    await eventually(() => started > before, 15_000, 'the call to reach the service');
    calling.kill('SIGINT');
    const run = await result;
    expect(run.code, run.stderr).to.equal(130);
    expect(run.stderr).to.contain('qi: Canceled: interrupted: tts.recite was canceled');
    await eventually(() => aborts.length > 0, 5_000, 'the service to see the cancel');
    expect(aborts.at(-1)).to.equal('canceled by the caller');
  });

  it('--timeout gives up with exit 5, canceled at the service too', async () => {
    const count = aborts.length;
    const run = await qi(['call', 'tts.recite', '30000', '--timeout', '200'], env);
    expect(run.code, run.stderr).to.equal(5);
    expect(run.stderr).to.match(/^qi: Timeout: /);
    await eventually(() => aborts.length > count, 5_000, 'the service to see the cancel');
  });

  it('presents credentials: refused is exit 7, the right token gets in', async () => {
    const secured = await createGateway({
      directory: directoryUrl,
      listen: ['tcp://127.0.0.1:0'],
      authenticate: tokenAuthenticator({ app: { token: 's3cret' } }),
    });
    opened.push(secured);
    const refused = await qi(['call', 'tts.say', 'hi', '--connect', secured.url, '--user', 'app', '--token', 'wrong']);
    expect(refused.code, refused.stderr).to.equal(7);
    expect(refused.stderr).to.match(/^qi: Unauthorized: /);
    const admitted = await qi(['call', 'tts.say', 'hi', '--connect', secured.url], { QI_USER: 'app', QI_TOKEN: 's3cret' });
    expect([admitted.code, admitted.stdout]).to.deep.equal([0, '2\n']);
  });

  it('watch survives the gateway restarting, and says so on stderr; Ctrl-C ends it with exit 0', async () => {
    let own = await createGateway({ directory: directoryUrl, listen: ['tcp://127.0.0.1:0'] });
    const url = own.url;
    const watching = startQi(['watch', 'tts.spoke', '--connect', url]);
    let stderr = '';
    let stdout = '';
    watching.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    watching.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const emitting = setInterval(() => tts.spoke.emit('tick', 1), 50);
    try {
      await eventually(() => stdout.includes('tts.spoke'), 15_000, 'a first event');
      await own.close();
      await eventually(() => stderr.includes('lost'), 10_000, 'the loss to be told');
      own = await createGateway({ directory: directoryUrl, listen: [url] });
      await eventually(() => stderr.includes(`reconnected to ${url}`), 15_000, 'the reconnection to be told');
      const before = stdout.length;
      await eventually(() => stdout.length > before, 10_000, 'events after the reconnection');
      watching.kill('SIGINT');
      const run = await finished(watching);
      expect(run.code, stderr).to.equal(0);
    } finally {
      clearInterval(emitting);
      if (watching.exitCode === null) watching.kill('SIGKILL');
      await own.close();
    }
  });
});
