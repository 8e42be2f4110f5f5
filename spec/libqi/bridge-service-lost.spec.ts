/**
 * A bridged binding whose libqi service dies without the directory saying so (issue #16): the kit's
 * qi_echo_service killed with SIGKILL while 64 calls are in flight, with the kit's qi_sd stopped (SIGSTOP) so no
 * serviceRemoved can come first. The binding ends as a native one whose service link is lost: every pending call
 * ends promptly with a typed error, the client's next call is ServiceGone, the Zoo bound on the same gateway and
 * link is unharmed; and a client told `whenServiceGone: 'wait'` calls again once the service is started again.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/bridge-service-lost.spec.ts
 */
import { expect } from 'chai';
import { connect, createGateway, QiError, ServiceGoneError, ServiceNotFoundError, type Connection, type Gateway, type ServiceProxy } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { freePort, skipWithoutPeer, startPeer, type PeerProcess } from './peer.js';

async function bindWhenRegistered(connection: Connection, name: string, options: { whenServiceGone?: 'wait' | 'end' } = {}): Promise<ServiceProxy> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await connection.service(name, options);
    } catch (err) {
      if (!(err instanceof ServiceNotFoundError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('the Gateway as a bridge: a libqi service whose link dies without serviceRemoved', function () {
  this.timeout(60_000);
  const peers: PeerProcess[] = [];
  let sd: PeerProcess;
  let sdUrl: string;
  let echoPort: number;
  let gateway: Gateway;
  let connection: Connection;
  let zoo: ServiceProxy;

  const startEcho = async (): Promise<PeerProcess> => {
    const echo = await startPeer('qi_echo_service', [sdUrl, `tcp://127.0.0.1:${echoPort}`], { port: echoPort });
    peers.push(echo);
    return echo;
  };

  before(async function () {
    skipWithoutPeer(this);
    const sdPort = await freePort();
    echoPort = await freePort();
    const zooPort = await freePort();
    sdUrl = `tcp://127.0.0.1:${sdPort}`;
    sd = await startPeer('qi_sd', [sdUrl], { port: sdPort });
    peers.push(sd);
    peers.push(await startPeer('qi_zoo_service', [sdUrl, `tcp://127.0.0.1:${zooPort}`], { port: zooPort }));
    gateway = await createGateway({ libqiDirectory: sdUrl, listen: ['tcp://127.0.0.1:0'] });
    connection = await connect(gateway.url);
    zoo = await bindWhenRegistered(connection, 'Zoo');
  });

  after(async () => {
    sd?.child.kill('SIGCONT');
    await connection?.close();
    await gateway?.close();
    for (const peer of peers.reverse()) await peer.stop();
  });

  it('SIGKILL under 64 calls in flight (SD stopped): every pending call ends promptly and typed, the binding ends with ServiceGone, the Zoo is unharmed', async () => {
    const echoPeer = await startEcho();
    const echo = await bindWhenRegistered(connection, 'Echo');
    expect(await echo.call('echo', 'before')).to.equal('before');
    // 64 calls in flight, each replaced as it settles: every pump goes on past the kill until a call of its fails.
    let killed = false;
    let started = 0;
    const outcomes: Array<{ ok: boolean; error?: unknown; settledAfterKill: number }> = [];
    let killedAt = 0;
    const pump = async (): Promise<void> => {
      for (;;) {
        started++;
        try {
          await echo.call('echo', `m${started}`);
          outcomes.push({ ok: true, settledAfterKill: killed ? Date.now() - killedAt : -1 });
          if (killed && Date.now() - killedAt > 10_000) return; // still answered long after: the check below fails
        } catch (error) {
          outcomes.push({ ok: false, error, settledAfterKill: killed ? Date.now() - killedAt : -1 });
          return;
        }
      }
    };
    const pumps = Array.from({ length: 64 }, () => pump());
    await eventually(() => outcomes.length >= 640, 20_000, '640 echoes before the kill');
    sd.child.kill('SIGSTOP');
    try {
      killedAt = Date.now();
      killed = true;
      echoPeer.child.kill('SIGKILL');
      const settled = await Promise.race([
        Promise.all(pumps).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
      ]);
      expect(settled, 'some call was still pending, or still answered, 10 s after the kill').to.equal(true);
      const failures = outcomes.filter((o) => !o.ok);
      expect(failures.length, 'pumps that ended on a failed call').to.equal(64);
      expect(failures.every((f) => f.settledAfterKill >= 0), 'a call failed before the kill').to.equal(true);
      for (const failure of failures) {
        expect(failure.error).to.be.instanceOf(QiError);
        expect((failure.error as QiError).code).to.be.oneOf(['ServiceGone', 'ConnectionLost']);
      }
      const latest = Math.max(...outcomes.map((o) => o.settledAfterKill));
      console.log(`      (${outcomes.length} calls, ${failures.length} failed after the kill, the last ${latest} ms after it: ${[...new Set(failures.map((f) => (f.error as QiError).code))].join(', ')})`);
      // The binding has ended, though the directory (stopped) never said the service left.
      const next = await rejection(echo.call('echo', 'after'), ServiceGoneError);
      expect(next.message).to.include("service 'Echo' lost");
      expect(await zoo.call('echoString', 'unharmed')).to.equal('unharmed');
      expect(connection.isOpen).to.equal(true);
    } finally {
      sd.child.kill('SIGCONT');
    }
  });

  it("a client told whenServiceGone: 'wait' calls again once the killed service is started again", async () => {
    let echoPeer = await startEcho();
    const echo = await bindWhenRegistered(connection, 'Echo', { whenServiceGone: 'wait' });
    expect(await echo.call('echo', 'first life')).to.equal('first life');
    echoPeer.child.kill('SIGKILL');
    await new Promise((resolve) => echoPeer.child.once('exit', resolve));
    // The SD sees its registration's link close and drops Echo: then it is started again, on the same port.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waiting = echo.with({ timeout: 20_000 }).call('echo', 'second life');
    echoPeer = await startEcho();
    expect(await waiting).to.equal('second life');
    expect(await echo.call('add', 40, 2)).to.equal(42);
    expect(await zoo.call('echoString', 'still unharmed')).to.equal('still unharmed');
  });
});
