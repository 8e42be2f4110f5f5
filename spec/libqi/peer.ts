/**
 * The kit's real libqi programs as child processes, for specs: each on a free loopback port, stopped by its PID
 * (SIGTERM, then SIGKILL) in `after`. Specs skip, saying why, where ../shared/libqi-peer is absent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { PEER_KIT } from './captures.js';
import { freePort } from '../free-port.js';

export { freePort };

export const RUN = join(PEER_KIT, 'run');
export const peerPresent = (): boolean => existsSync(RUN) && existsSync(join(PEER_KIT, 'bin'));

/** For a mocha `before`: skips the suite, with a printed reason, when the kit is absent. */
export function skipWithoutPeer(context: Mocha.Context): void {
  if (!peerPresent()) {
    console.log(`    (skipped: the libqi peer kit is absent at ${PEER_KIT})`);
    context.skip();
  }
}

/** The kit's certificate and key (self-signed, for 127.0.0.1), for tcps:// and tcpsm://. */
export const KIT_CERT = join(PEER_KIT, 'certs', 'cert.pem');
export const KIT_KEY = join(PEER_KIT, 'certs', 'key.pem');

/**
 * For a `describe` whose tests start kit programs: the suite skips without the kit, and every program a test
 * pushed on the returned list is stopped (last started first) after that test, whether it passed or not.
 */
export function peersOfEachTest(): PeerProcess[] {
  const peers: PeerProcess[] = [];
  before(function () {
    skipWithoutPeer(this);
  });
  afterEach(async () => {
    for (const peer of peers.splice(0).reverse()) await peer.stop();
  });
  return peers;
}

export interface PeerProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `run PROGRAM ...args`; resolves once `port` (if given) accepts connections. */
export async function startPeer(program: string, args: string[], options: { port?: number; env?: Record<string, string> } = {}): Promise<PeerProcess> {
  const child = spawn(RUN, [program, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const peer: PeerProcess = {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(killer);
    },
  };
  if (options.port !== undefined) {
    const deadline = Date.now() + 15_000;
    while (!(await accepts(options.port))) {
      if (child.exitCode !== null) throw new Error(`${program} exited (${child.exitCode}): ${output}`);
      if (Date.now() > deadline) {
        await peer.stop();
        throw new Error(`${program} did not listen on ${options.port} within 15 s: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return peer;
}

/**
 * Runs a program to its end; resolves with its exit code (null when killed) and output. With `doneWhen`, the
 * program is killed (SIGKILL, by its PID) as soon as its output matches: it has printed what it was run for, and
 * libqi's exit then takes another ~0.4 s, or hangs (see `runQiClientDemo`; `qi_client lat` and `tput` hung so
 * twice in about 160 runs on a loaded machine). `done` says whether that happened.
 */
export function runPeer(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; timeout?: number; doneWhen?: RegExp } = {},
): Promise<{ code: number | null; output: string; done: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(RUN, [program, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let done = false;
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!done && options.doneWhen?.test(output)) {
        done = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, done });
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Runs `qi_client demo SD_URL`. A run that printed its last step (`fail -> …`) and then never exited is libqi's
 * own exit deadlock (the kit's README: a MessageSocket destroyed on MainEventLoop waits in Strand::join() while
 * the main thread joins that thread; seen under load, qi_client has no _Exit workaround): said, and run once more.
 */
export async function runQiClientDemo(sdUrl: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const first = await runPeer('qi_client', ['demo', sdUrl], { env, timeout: 10_000 });
  if (first.code !== null || !first.output.includes('fail -> ')) return first;
  console.log("      (qi_client demo passed every step, then hung at exit in libqi's destructor: run again)");
  return runPeer('qi_client', ['demo', sdUrl], { env, timeout: 10_000 });
}
