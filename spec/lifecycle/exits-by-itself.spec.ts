/**
 * `close()` must leave no timer, socket or actor running. The proof is a process that opens a whole topology,
 * closes it and is expected to exit on its own (no process.exit, no mocha --exit).
 */
import { spawn } from 'node:child_process';
import { expect } from 'chai';

function runToExit(args: string[], ms: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit by itself within ${ms} ms:\n${output}`));
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('closing everything', function () {
  this.timeout(60_000);

  it('lets the demo (npm start) exit by itself with code 0', async () => {
    const { code, output } = await runToExit(['--import', 'tsx', 'examples/demo.ts'], 30_000);
    expect(code, output).to.equal(0);
    expect(output).to.contain('calc.add(2, 3) -> 5');
    expect(output).to.contain('all closed');
  });

  it('runs the object-model example (signals, properties, posts, cancellation, timeouts) and exits by itself', async () => {
    const { code, output } = await runToExit(['--import', 'tsx', 'examples/object-model.ts'], 30_000);
    expect(code, output).to.equal(0);
    for (const line of ['say -> 18', 'spoke -> hello, little, robot', 'volume -> 70', 'set 500 -> BadArgumentsError', 'recite -> Canceled', 'recite with timeout -> Timeout', 'services -> ServiceDirectory, tts']) {
      expect(output).to.contain(line);
    }
  });

  it('runs the inspector example once (with its local relay) and exits by itself', async () => {
    const port = 18_000 + Math.floor(Math.random() * 2_000);
    const { code, output } = await runToExit(['--import', 'tsx', 'examples/inspect.ts', '--once', '--port', String(port)], 30_000);
    expect(code, output).to.equal(0);
    expect(output).to.contain(`open http://localhost:${port} to watch; calc.add(1, 2) = 3`);
  });

  it('lets mocha exit by itself after the end-to-end specs, every mode and transport', async () => {
    const mocha = 'node_modules/mocha/bin/mocha.js';
    const { code, output } = await runToExit(
      // A generous per-test timeout: this checks that mocha exits by itself, not how fast a busy machine is.
      [mocha, '--no-config', '--node-option', 'import=tsx', '--extension', 'ts', '--reporter', 'dot', '--timeout', '10000', 'spec/e2e/calls.spec.ts', 'spec/e2e/failures.spec.ts'],
      50_000,
    );
    expect(code, output).to.equal(0);
    expect(output).to.match(/\d+ passing/);
  });
});
