/** The README's usage snippet must run as written (only the package name and the port are substituted). */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startNatsServer, skipWithoutNatsServer } from '../nats-server.js';
import { freePort as freeLoopbackPort, peerPresent, startPeer, type PeerProcess } from '../libqi/peer.js';
import { PEER_KIT } from '../libqi/captures.js';
import { connectLibqi, createLibqiService } from '../../lib/index.js';
import { memoryImplementation } from '../libqi/memory-impl.js';
import { freePort } from '../free-port.js';


/** The ```ts block that follows `heading` in the README. */
function snippetAfter(heading: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(heading);
  expect(start, `a heading "${heading}"`).to.be.at.least(0);
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
  expect(snippet, `a \`\`\`ts block under "${heading}"`).to.be.a('string');
  return snippet!;
}

/** Runs a snippet with the package name pointing at this checkout; resolves with its output lines. */
async function run(snippet: string, replace: Record<string, string> = {}): Promise<string[]> {
    const port = await freePort();
    const dir = mkdtempSync(path.join('spec', 'docs', '.readme-'));
    const file = path.join(dir, 'snippet.ts');
    try {
      writeFileSync(
        file,
        Object.entries(replace).reduce(
          (text, [from, to]) => text.replaceAll(from, to),
          snippet!.replace("from 'qimessaging'", `from '${path.relative(dir, 'lib/index.js').split(path.sep).join('/')}'`).replaceAll('9559', String(port)),
        ),
      );
      // The snippet must type-check under the project's own strict settings, not only run.
      writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ extends: '../../../tsconfig.json', compilerOptions: { noEmit: true, rootDir: '../../..' }, include: ['snippet.ts'] }),
      );
      const typeCheck = spawnSync('node_modules/.bin/tsc', ['-p', dir], { encoding: 'utf8' });
      expect(typeCheck.status, `the snippet's type check:\n${typeCheck.stdout}${typeCheck.stderr}`).to.equal(0);
      const output = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          if (code === 0) resolve(text);
          else reject(new Error(`snippet exited with ${code}:\n${text}`));
        });
      });
      return output.trim().split('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
}

describe('README', function () {
  this.timeout(30_000);

  it('runs its usage snippet and prints what it says', async () => {
    expect(await run(snippetAfter('## Use'))).to.deep.equal(['5', 'RemoteError division by zero']);
  });

  it('runs its service-contract snippet and prints what its comments say', async () => {
    expect(await run(snippetAfter('### Service contracts'))).to.deep.equal(['progress 50', 'progress 100', 'arrived 1 2', 'at 1,2', 'hi (en)', '80']);
  });

  it('runs its object-model snippet and prints what its comments say', async () => {
    expect(await run(snippetAfter('### Signals, properties'))).to.deep.equal([
      'spoke hi',
      'spoke robot',
      '8',
      'volume is now 70',
      'BadArguments',
      'log: fire and forget',
      'true',
      'true',
    ]);
  });

  it('runs its libqi snippet: a libqi directory, a service registered with it, a libqi client calling it', async () => {
    expect(await run(snippetAfter('### Talking to NAOqi robots'))).to.deep.equal(['hello, robot']);
  });

  it('runs its nats:// snippet against a nats-server of its own (skipped without nats-server)', async function () {
    skipWithoutNatsServer(this);
    const server = await startNatsServer();
    try {
      expect(await run(snippetAfter('### More than one machine'), { '4222': String(server.port) })).to.deep.equal(['42']);
    } finally {
      await server.stop();
    }
  });

  it('runs its directory-per-host snippet against a nats-server with JetStream (skipped without nats-server)', async function () {
    skipWithoutNatsServer(this);
    const server = await startNatsServer({ jetstream: true });
    try {
      expect(await run(snippetAfter('**One directory and one gateway per host'), { '4222': String(server.port) })).to.deep.equal(['42']);
    } finally {
      await server.stop();
    }
  });

  /** Runs `body` with the kit's qi_sd and a registered qi_zoo_service; skips without the kit. */
  async function withKitZoo(context: Mocha.Context, body: (sdUrl: string) => Promise<void>): Promise<void> {
    if (!peerPresent()) {
      console.log(`      (skipped: the libqi peer kit is absent at ${PEER_KIT})`);
      context.skip();
    }
    const peers: PeerProcess[] = [];
    try {
      const sdPort = await freeLoopbackPort();
      const zooPort = await freeLoopbackPort();
      const sd = `tcp://127.0.0.1:${sdPort}`;
      peers.push(await startPeer('qi_sd', [sd], { port: sdPort }));
      peers.push(await startPeer('qi_zoo_service', [sd, `tcp://127.0.0.1:${zooPort}`], { port: zooPort }));
      // qi_zoo_service listens before it has registered: wait for the registration, as the kit's clients do.
      const watcher = await connectLibqi(sd);
      try {
        const deadline = Date.now() + 10_000;
        while (!(await watcher.services()).some((service) => service.name === 'Zoo')) {
          if (Date.now() > deadline) throw new Error('Zoo did not register');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await watcher.close();
      }
      await body(sd);
    } finally {
      for (const peer of peers.reverse()) await peer.stop();
    }
  }

  it('runs its connect(url, { libqi }) snippet against the libqi kit`s qi_sd and qi_zoo_service (skipped without the kit)', async function () {
    await withKitZoo(this, async (sd) => {
      expect(await run(snippetAfter("### A robot's services as ServiceClients"), { 'tcp://127.0.0.1:9600': sd })).to.deep.equal([
        '42',
        'sigInt 42',
        'Timeout',
        'typed',
      ]);
    });
  });

  it('runs its ALMemory subscriber snippet against an ALMemory stand-in registered with the kit`s qi_sd (skipped without the kit)', async function () {
    await withKitZoo(this, async (sd) => {
      const memory = await createLibqiService('ALMemory', memoryImplementation().implementation, { directory: sd });
      try {
        expect(await run(snippetAfter("#### Objects: ALMemory's subscriber"), { 'tcp://127.0.0.1:9600': sd })).to.deep.equal(['FrontTactilTouched 1']);
      } finally {
        await memory.close();
      }
    });
  });

  it('runs its NAOqi snippet against the libqi kit`s qi_sd and qi_zoo_service (skipped without the kit)', async function () {
    await withKitZoo(this, async (sd) => {
      expect(await run(snippetAfter('### A robot behind a gateway'), { 'tcp://127.0.0.1:9600': sd })).to.deep.equal([
        '42',
        'sigInt 42',
        'from a qimessaging client',
        '-9223372036854775808n',
      ]);
    });
  });
});
