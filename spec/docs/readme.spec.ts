/** The README's usage snippet must run as written (only the package name and the port are substituted). */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('README', function () {
  this.timeout(30_000);

  it('runs its usage snippet and prints what it says', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const snippet = /## Use\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet, 'a ```ts block under "## Use"').to.be.a('string');
    const port = await freePort();
    const dir = mkdtempSync(path.join('spec', 'docs', '.readme-'));
    const file = path.join(dir, 'snippet.ts');
    try {
      writeFileSync(
        file,
        snippet!.replace("from 'qimessaging'", `from '${path.relative(dir, 'lib/index.js').split(path.sep).join('/')}'`).replaceAll('9559', String(port)),
      );
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
      expect(output.trim().split('\n')).to.deep.equal(['5', 'RemoteError division by zero']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
