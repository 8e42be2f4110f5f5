/**
 * The two example programs as real processes over TCP, and a hostile peer at the gateway's port: it loses its
 * own socket and nothing else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { connect, type Connection } from '../../lib/index.js';
import { encodeFrame, MessageType, writeU32 } from '../../lib/protocol/header.js';
import { within } from '../e2e/topology.js';

function start(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function run(script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = start(script, args);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** Opens a raw socket, writes `bytes`, and resolves once the gateway has closed it. */
async function hostile(port: number, bytes: Uint8Array): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await once(socket, 'connect');
  const closed = once(socket, 'close');
  socket.write(bytes);
  await within(closed, 2_000, 'the gateway to close the hostile socket');
}

describe('the robot and client examples over TCP', function () {
  this.timeout(30_000);
  let robot: ChildProcess;
  let url: string;
  let connection: Connection | undefined;

  before(async () => {
    robot = start('examples/robot.ts', ['--listen', 'tcp://127.0.0.1:0']);
    const [line] = (await within(once(createInterface({ input: robot.stdout! }), 'line'), 20_000, 'the ready line')) as [string];
    expect(line).to.match(/^robot ready: gateway listening on tcp:\/\/127\.0\.0\.1:\d+ \(services: echo, calc\)$/);
    url = /tcp:\/\/[\d.]+:\d+/.exec(line)![0];
  });

  after(async () => {
    await connection?.close();
    if (robot.exitCode === null) robot.kill('SIGKILL');
  });

  it('runs the client against the robot: results and typed errors, exit 0', async () => {
    const { code, output } = await run('examples/client.ts', ['--connect', url]);
    expect(code, output).to.equal(0);
    expect(output).to.contain('calc.add(2, 3) -> 5');
    expect(output).to.contain('echo.fail("on purpose") -> RemoteError: on purpose');
    expect(output).to.contain('calc.divide(1, 0) -> RemoteError: division by zero');
    expect(output).to.contain("calc.sqrt(2) -> NoSuchMember: calc has no method 'sqrt'");
  });

  it('drops a peer that sends garbage or an oversize header, and serves the others throughout', async () => {
    connection = await connect(url);
    const calc = await connection.service('calc');
    expect(await calc.call('add', 1, 1)).to.equal(2);
    const port = Number(new URL(url).port);
    await hostile(port, Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff));
    const oversize = encodeFrame({ id: 1, type: MessageType.Capability, channel: 0, object: 0, action: 0 }, new Uint8Array(0));
    writeU32(oversize, 8, 1 << 30);
    await hostile(port, oversize);
    expect(await calc.call('add', 2, 2)).to.equal(4);
    const lateConnection = await connect(url);
    try {
      const late = await lateConnection.service('echo');
      expect(await late.call('echo', 'still here')).to.equal('still here');
    } finally {
      await lateConnection.close();
    }
  });

  it('fails the client with exit 1 when nothing listens', async () => {
    const { code, output } = await run('examples/client.ts', ['--connect', 'tcp://127.0.0.1:1']);
    expect(code).to.equal(1);
    expect(output).to.contain('TransportError');
  });

  it('shuts the robot down on SIGTERM with exit code 0', async () => {
    await connection?.close();
    connection = undefined;
    robot.kill('SIGTERM');
    const [code] = (await within(once(robot, 'exit'), 10_000, 'the robot to exit')) as [number | null];
    expect(code).to.equal(0);
  });
});
