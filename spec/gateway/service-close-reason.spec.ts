/**
 * A service closed on purpose reads differently from one that crashed (issue #14, item 10): before closing its
 * links a service sends each peer a ClosingNotice, so a gateway's client ends with "ServiceGone: service 'motion'
 * closed" rather than "lost: … closed by peer", and a direct client's calls fail with ConnectionLost saying the peer
 * closed on purpose. A link dropped without a word (a crash) still reads as lost. An older peer drops the notice.
 */
import { expect } from 'chai';
import { ConnectionLostError, connect, createGateway, createService, createServiceDirectory, ServiceGoneError } from '../../lib/index.js';
import { ControlAction } from '../../lib/protocol/control.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { MessageType } from '../../lib/protocol/header.js';
import { eventually, fakeSession, rejection, withFakeTransport } from '../helpers.js';

const motion = { hang: () => new Promise(() => {}) };

describe('a service closed on purpose, and one that crashed', () => {
  const harness = withFakeTransport();

  async function throughGateway() {
    const { transports, opened } = harness;
    const directory = await createServiceDirectory({ transports, listen: ['memory://sd-close'] });
    opened.push(directory);
    const gateway = await createGateway({ transports, directory: 'memory://sd-close', listen: ['memory://gw-close'] });
    opened.push(gateway);
    const service = await createService('motion', motion, { transports, directory: 'memory://sd-close', listen: ['fake://motion'] });
    opened.push(service);
    const conn = await connect('memory://gw-close', { transports });
    opened.push(conn);
    const client = await conn.service('motion');
    return { service, client };
  }

  it("through a gateway, ends the client with ServiceGone \"service 'motion' closed\" when the service closes", async () => {
    const { service, client } = await throughGateway();
    const pending = rejection(client.call('hang'), ServiceGoneError);
    await service.close();
    expect((await pending).message).to.equal("service 'motion' closed");
    expect((await client.closed)?.message).to.equal("service 'motion' closed");
  });

  it('through a gateway, says "lost" when the service\'s link drops without a word', async () => {
    const { client } = await throughGateway();
    const pending = rejection(client.call('hang'), ServiceGoneError);
    // The gateway's link to the service vanishes, as when the service's process is killed.
    for (const link of harness.fake.links) link.drop();
    const error = await pending;
    expect(error.message).to.match(/^service 'motion' lost: /);
    expect(error.message).not.to.match(/closed$/);
  });

  it('directly, fails the calls in flight with ConnectionLost saying the service closed on purpose', async () => {
    const { transports, opened } = harness;
    const service = await createService('motion', motion, { transports, listen: ['memory://motion-direct'] });
    opened.push(service);
    const conn = await connect('memory://motion-direct', { transports, reconnect: false });
    opened.push(conn);
    const client = await conn.service('motion');
    const pending = rejection(client.call('hang'), ConnectionLostError);
    await service.close();
    expect((await pending).message).to.match(/closed by the peer on purpose: service 'motion' closed$/);
  });

  it('is a Post on channel 0 read without disturbing the link (an older peer counts it as a stray control frame)', async () => {
    // What an older initiator does with a control Post it does not know: counts it, keeps the link.
    const { session, peer } = await fakeSession('initiator');
    const notice = encodeMessage({ type: MessageType.Post, channel: 0, id: 0, object: 0, action: ControlAction.closing }, { reason: 'x' });
    peer.send(notice);
    await eventually(() => session.closedByPeer === 'x', 1_000, 'the notice read');
    expect(session.isOpen).to.equal(true);
    session.close();
  });
});
