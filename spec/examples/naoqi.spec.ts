/**
 * examples/naoqi.ts as a real process: with qimessaging's own libqi directory, and with the kit's `qi_sd` (the
 * line a user changes for a robot is the URL).
 */
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { freePort, peerPresent, startPeer } from '../libqi/peer.js';

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/naoqi.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const EXPECTED = ['services: [1]ServiceDirectory [2]Greeter', 'greet -> hello, robot', 'add -> 42, 0.75', 'volume -> 70'];

describe('examples/naoqi.ts', function () {
  this.timeout(40_000);

  it('serves, registers and calls a libqi service through its own libqi directory', async () => {
    const { code, output } = await run([]);
    for (const line of EXPECTED) expect(output).to.include(line);
    expect(code, output).to.equal(0);
  });

  it("does the same through the kit's qi_sd", async function () {
    if (!peerPresent()) {
      console.log('    (skipped: the libqi peer kit is absent)');
      this.skip();
    }
    const port = await freePort();
    const sd = await startPeer('qi_sd', [`tcp://127.0.0.1:${port}`], { port });
    try {
      const { code, output } = await run([`tcp://127.0.0.1:${port}`]);
      for (const line of EXPECTED) expect(output).to.include(line);
      expect(code, output).to.equal(0);
    } finally {
      await sd.stop();
    }
  });
});
