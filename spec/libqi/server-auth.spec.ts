/**
 * Authentication on the serving side, against the real libqi: a qimessaging ServiceDirectory requiring a token
 * (the kit's qi_zoo_service registers as alice, qi_zoo_client logs in as alice; a wrong token is refused) and a
 * two-step challenge (the kit's scheme: SHA-256 of challenge + token); a qimessaging service requiring a token of
 * its own clients. Without the kit: the refusal on the wire, and calls before authenticating.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/server-auth.spec.ts
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { UnauthorizedError } from '../../lib/protocol/errors.js';
import {
  connectLibqi,
  createLibqiService,
  createLibqiServiceDirectory,
  libqiTokenAuthenticator,
  withSignature,
  type LibqiAuthenticator,
  type LibqiServiceDirectory,
} from '../../lib/index.js';
import type { Identity } from '../../lib/auth/authenticator.js';
import { withContext } from '../../lib/service/meta-object.js';
import { eventually, rejection } from '../helpers.js';
import { freePort, peersOfEachTest, runPeer, startPeer } from './peer.js';
import { zooImplementation } from './zoo-impl.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The kit's `--auth=challenge` (peer_common.hpp): a random challenge, then SHA-256(challenge + token). */
function challengeAuthenticator(tokens: Record<string, string>): LibqiAuthenticator {
  return () => {
    const challenge = randomBytes(16).toString('hex');
    let asked = false;
    return (fields) => {
      if (!asked) {
        asked = true;
        return { state: 'continue', fields: { challenge } };
      }
      const user = String(fields['user']);
      if (!Object.hasOwn(tokens, user)) return { state: 'refused', reason: 'unknown user' };
      return fields['response'] === sha256(challenge + tokens[user]!) ? { state: 'done' } : { state: 'refused', reason: 'bad response' };
    };
  };
}

const zooSummary = (output: string): string | undefined => output.split('\n').find((l) => l.startsWith('summary:'));

describe('libqi serving side: authentication', function () {
  this.timeout(60_000);

  it("refuses qimessaging's libqi client without or with a wrong token (UnauthorizedError), admits the right one", async () => {
    const sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0', authenticate: libqiTokenAuthenticator({ alice: 's3cret' }) });
    try {
      const wrong = await rejection(connectLibqi(sd.url, { credentials: { user: 'alice', token: 'nope' } }), UnauthorizedError);
      expect(wrong.message).to.include('Authentication failed: bad token');
      await rejection(connectLibqi(sd.url), UnauthorizedError);
      const right = await connectLibqi(sd.url, { credentials: { user: 'alice', token: 's3cret' } });
      expect((await right.services()).map((s) => s.name)).to.deep.equal(['ServiceDirectory']);
      await right.close();
    } finally {
      await sd.close();
    }
  });

  it('answers a two-step challenge (state 2 with its fields, then state 3 alone)', async () => {
    const sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0', authenticate: challengeAuthenticator({ alice: 's3cret' }) });
    try {
      const answer = (token: string) => (c: Record<string, unknown>) => ({ user: 'alice', response: sha256(String(c['challenge']) + token) });
      await rejection(connectLibqi(sd.url, { credentials: { user: 'alice' }, answerChallenge: answer('nope') }), UnauthorizedError);
      const right = await connectLibqi(sd.url, { credentials: { user: 'alice' }, answerChallenge: answer('s3cret') });
      expect(await right.directory.call('machineId')).to.equal(sd.machineId);
      await right.close();
    } finally {
      await sd.close();
    }
  });

  it("gives a withContext method the authenticated link's identity, and none to an anonymous link", async () => {
    const sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0' });
    const whoami = { whoami: withSignature('()->s', withContext(({ identity }) => (identity ? `${identity.user} [${(identity.roles ?? []).join(',')}]` : 'anonymous'))) };
    const guarded = await createLibqiService('Guarded', whoami, { directory: sd.url, authenticate: libqiTokenAuthenticator({ alice: 's3cret', bob: { token: 'b0b', roles: ['admin'] } }) });
    const open = await createLibqiService('Open', whoami, { directory: sd.url });
    try {
      const asAlice = await connectLibqi(sd.url, { credentials: { user: 'alice', token: 's3cret' } });
      const asBob = await connectLibqi(sd.url, { credentials: { user: 'bob', token: 'b0b' } });
      expect(await (await asAlice.service('Guarded')).call('whoami')).to.equal('alice []');
      expect(await (await asBob.service('Guarded')).call('whoami')).to.equal('bob [admin]');
      expect(await (await asAlice.service('Open')).call('whoami')).to.equal('anonymous');
      await asAlice.close();
      await asBob.close();
    } finally {
      await guarded.close();
      await open.close();
      await sd.close();
    }
  });

  describe('against the real libqi', () => {
    const peers = peersOfEachTest();

    async function withDirectory(authenticate: LibqiAuthenticator, body: (sd: LibqiServiceDirectory) => Promise<void>): Promise<void> {
      const sd = await createLibqiServiceDirectory({ listen: `tcp://127.0.0.1:${await freePort()}`, authenticate });
      try {
        await body(sd);
      } finally {
        for (const peer of peers.splice(0).reverse()) await peer.stop();
        await sd.close();
      }
    }

    it("a directory requiring a token: the kit's qi_zoo_service registers as alice, qi_zoo_client passes as alice, a wrong token is refused", async () => {
      await withDirectory(libqiTokenAuthenticator({ alice: 's3cret' }), async (sd) => {
        const zooPort = await freePort();
        peers.push(await startPeer('qi_zoo_service', ['--user=alice', '--token=s3cret', sd.url, `tcp://127.0.0.1:${zooPort}`], { port: zooPort }));
        await eventually(() => sd.services().some((s) => s.name === 'Zoo'), 10_000, 'Zoo registered');
        const right = await runPeer('qi_zoo_client', ['--user=alice', '--token=s3cret', sd.url, 'Zoo'], { timeout: 45_000 });
        expect(zooSummary(right.output), right.output).to.equal('summary: 112 ok, 0 failed');
        const wrong = await runPeer('qi_zoo_client', ['--user=alice', '--token=wrong', sd.url, 'Zoo'], { timeout: 45_000 });
        expect(wrong.code, wrong.output).to.equal(2);
      });
    });

    it("a directory asking a two-step challenge: qi_zoo_client --challenge passes, a wrong token is refused", async () => {
      await withDirectory(challengeAuthenticator({ alice: 's3cret' }), async (sd) => {
        const zoo = await createLibqiService('Zoo', zooImplementation(), {
          directory: sd.url,
          credentials: { user: 'alice' },
          answerChallenge: (c) => ({ user: 'alice', response: sha256(String(c['challenge']) + 's3cret') }),
        });
        try {
          const right = await runPeer('qi_zoo_client', ['--challenge', '--user=alice', '--token=s3cret', sd.url, 'Zoo'], { timeout: 45_000 });
          expect(zooSummary(right.output), right.output).to.equal('summary: 112 ok, 0 failed');
          const wrong = await runPeer('qi_zoo_client', ['--challenge', '--user=alice', '--token=wrong', sd.url, 'Zoo'], { timeout: 45_000 });
          expect(wrong.code, wrong.output).to.equal(2);
        } finally {
          await zoo.close();
        }
      });
    });

    it("a withContext method sees the identity the authenticator gave the kit's qi_zoo_client (alice, her roles)", async () => {
      const port = await freePort();
      const sdUrl = `tcp://127.0.0.1:${port}`;
      peers.push(await startPeer('qi_sd', [sdUrl], { port }));
      const seen: Array<Identity | undefined> = [];
      const implementation = {
        ...zooImplementation(),
        echoString: withSignature(
          '(s)->s',
          withContext(({ identity }, text: string) => {
            seen.push(identity);
            return text;
          }),
        ),
      };
      const zoo = await createLibqiService('Zoo', implementation, {
        directory: sdUrl,
        authenticate: libqiTokenAuthenticator({ alice: { token: 's3cret', roles: ['operator'] } }),
      });
      try {
        const right = await runPeer('qi_zoo_client', ['--user=alice', '--token=s3cret', sdUrl, 'Zoo'], { timeout: 45_000 });
        expect(zooSummary(right.output), right.output).to.equal('summary: 112 ok, 0 failed');
        expect(seen.length, 'echoString calls of qi_zoo_client').to.be.greaterThan(0);
        for (const identity of seen) expect(identity).to.deep.equal({ user: 'alice', roles: ['operator'] });
      } finally {
        await zoo.close();
      }
    });

    it("a qimessaging service requiring a token of its libqi clients (on the kit's qi_sd): qi_zoo_client passes as alice, fails without", async () => {
      const port = await freePort();
      const sdUrl = `tcp://127.0.0.1:${port}`;
      peers.push(await startPeer('qi_sd', [sdUrl], { port }));
      const zoo = await createLibqiService('Zoo', zooImplementation(), { directory: sdUrl, authenticate: libqiTokenAuthenticator({ alice: 's3cret' }) });
      try {
        const right = await runPeer('qi_zoo_client', ['--user=alice', '--token=s3cret', sdUrl, 'Zoo'], { timeout: 45_000 });
        expect(zooSummary(right.output), right.output).to.equal('summary: 112 ok, 0 failed');
        const anonymous = await runPeer('qi_zoo_client', [sdUrl, 'Zoo'], { timeout: 45_000 });
        expect(anonymous.code, anonymous.output).to.not.equal(0);
      } finally {
        await zoo.close();
      }
    });
  });
});
