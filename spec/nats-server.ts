/**
 * A nats-server of the specs' own: started on a free loopback port (with JetStream and a temporary store when
 * asked), killed by PID. Specs that need one skip, saying why, when nats-server is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export { freePort };

export interface NatsServer {
  readonly port: number;
  readonly pid: number;
  /** `nats://127.0.0.1:PORT`, to which a subject is appended. */
  readonly url: string;
  /** Kills the server (SIGKILL unless told otherwise) and waits for it to exit. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (after `stop`). */
  restart(): Promise<void>;
}

const BINARY = ['nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server'];

/** The nats-server command, or undefined when none is installed. */
export function natsServerCommand(): string | undefined {
  return BINARY.find((command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0);
}

/** Why specs on nats:// cannot run here, or undefined when they can. */
export function natsServerMissing(): string | undefined {
  return natsServerCommand() ? undefined : 'nats-server is not installed (apt-get install -y nats-server); skipping the nats:// specs';
}


/** Skips the running mocha suite or test (`this` of a hook or test), saying why, when nats-server is not installed. */
export function skipWithoutNatsServer(context: Mocha.Context): void {
  const missing = natsServerMissing();
  if (missing) {
    console.log(`      (${missing})`);
    context.skip();
  }
}

export async function startNatsServer(options: { jetstream?: boolean; args?: string[] } = {}): Promise<NatsServer> {
  const command = natsServerCommand();
  if (!command) throw new Error(natsServerMissing());
  const port = await freePort();
  const store = options.jetstream ? mkdtempSync(join(tmpdir(), 'qi-nats-')) : undefined;
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(store ? ['-js', '-sd', store] : []), ...(options.args ?? [])];
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    await ready(child, port);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    process.kill(running.pid!, signal);
    await exited;
  };
  await start();
  const pid = child!.pid!;
  // A spec that fails before its `after` must not leave a server behind.
  const onExit = (): void => {
    if (child?.pid) process.kill(child.pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  return {
    port,
    get pid() {
      return child?.pid ?? pid;
    },
    url: `nats://127.0.0.1:${port}`,
    stop: async (signal) => {
      await stop(signal);
      process.off('exit', onExit);
      if (store) rmSync(store, { recursive: true, force: true });
    },
    restart: async () => {
      await stop();
      await start();
    },
  };
}

/** Resolves once the server accepts TCP connections; rejects if it exits first or takes over 5 s. */
function ready(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-2_000)));
    const deadline = Date.now() + 5_000;
    const onExit = (code: number | null): void => reject(new Error(`nats-server exited (${code}) before it was ready: ${log}`));
    child.once('exit', onExit);
    const attempt = (): void => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        child.off('exit', onExit);
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nats-server did not listen on ${port} within 5 s: ${log}`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

let shared: Promise<NatsServer> | undefined;

/**
 * One server for every spec of this run that only needs a NATS network (the link suite, the end-to-end matrix),
 * started on first use and killed after the whole run.
 */
export function sharedNatsServer(): Promise<NatsServer> {
  shared ??= startNatsServer();
  return shared;
}

// A root hook: registered once, when the first spec file importing this module loads.
if (typeof after === 'function') {
  after(async () => {
    if (shared) await (await shared).stop();
  });
}
