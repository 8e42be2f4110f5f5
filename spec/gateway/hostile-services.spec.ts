/**
 * A service behind the gateway that answers its bind with a hostile reply (any registrant may run one): the
 * gateway reads it as a stranger's bytes. The client's bind fails with ProtocolError at once, nothing blocks the
 * gateway, other bindings go on; a reply with unknown fields is passed on without them.
 */
import { expect } from 'chai';
import {
  connect,
  createGateway,
  createService,
  createServiceDirectory,
  ProtocolError,
  type DirectoryService,
} from '../../lib/index.js';
import { META_OBJECT_LIMITS } from '../../lib/protocol/bind-reply.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { ControlAction } from '../../lib/protocol/control.js';
import { MessageType } from '../../lib/protocol/header.js';
import { decodeFrames, type FakeLink } from '../../lib/testing/index.js';
import { capabilityFrame, eventually, rejection, withFakeTransport } from '../helpers.js';

describe('a hostile service behind the gateway', () => {
  const harness = withFakeTransport();

  /** A directory, a good `calc`, a gateway, and `evil` registered at fake://evil, which the test plays. */
  async function robotSide(): Promise<{ client: ReturnType<typeof connect>; evil: () => Promise<FakeLink> }> {
    const { transports, opened, fake } = harness;
    const directory = await createServiceDirectory({ transports, listen: ['memory://hostile-svc-sd'] });
    opened.push(directory);
    opened.push(await createService('calc', { add: (a: number, b: number) => a + b }, { transports, listen: ['memory://hostile-svc-calc'], directory: directory.url }));
    const registrant = await connect(directory.url, { transports });
    opened.push(registrant);
    await (await registrant.service<DirectoryService>('ServiceDirectory')).register('evil', ['fake://evil']);
    await fake.listen(new URL('fake://evil'), () => {});
    opened.push(await createGateway({ transports, directory: directory.url, listen: ['memory://hostile-svc-gw'] }));
    return {
      client: connect('memory://hostile-svc-gw', { transports }),
      evil: async () => {
        const link = await fake.nextLink();
        await eventually(() => link.peer!.sent.length > 0, 1_000, "the gateway's capability");
        link.send(capabilityFrame());
        return link;
      },
    };
  }

  /** Answers the gateway's bind call on `link` with `reply`. */
  async function answerBind(link: FakeLink, reply: unknown): Promise<void> {
    await eventually(() => decodeFrames(link.peer!.sent).some((f) => f.header.action === ControlAction.bind && f.header.type === MessageType.Call), 1_000, 'the bind call');
    const bind = decodeFrames(link.peer!.sent).find((f) => f.header.action === ControlAction.bind && f.header.type === MessageType.Call)!;
    link.send(encodeMessage({ id: bind.header.id, type: MessageType.Reply, channel: 0, object: 0, action: ControlAction.bind }, reply));
  }

  const method = (i: number) => ({ id: 100 + i, name: `m${i}`, arity: 0 });

  it('that sends more members than a meta-object may hold fails the bind with ProtocolError, quickly', async () => {
    const { client, evil } = await robotSide();
    const conn = await client;
    harness.opened.push(conn);
    const binding = conn.service('evil');
    const link = await evil();
    const methods = Array.from({ length: META_OBJECT_LIMITS.maxMembers + 1 }, (_, i) => method(i));
    const started = performance.now();
    await answerBind(link, { channel: 1, metaObject: { name: 'evil', methods, signals: [], properties: [] } });
    const error = await rejection(binding, ProtocolError);
    expect(error.message).to.match(/members/);
    expect(performance.now() - started).to.be.below(500);
    expect(await (await conn.service<{ add(a: number, b: number): number }>('calc')).add(2, 3)).to.equal(5);
  });

  for (const [what, reply] of [
    ['channel 0', { channel: 0, metaObject: { name: 'evil', methods: [], signals: [], properties: [] } }],
    ['a name too long', { channel: 1, metaObject: { name: 'evil', methods: [{ id: 100, name: 'x'.repeat(300), arity: 0 }], signals: [], properties: [] } }],
    ['a bad arity', { channel: 1, metaObject: { name: 'evil', methods: [{ id: 100, name: 'f', arity: -1 }], signals: [], properties: [] } }],
    ['no member lists', { channel: 1, metaObject: { name: 'evil' } }],
  ] as const) {
    it(`that sends ${what} fails the bind with ProtocolError`, async () => {
      const { client, evil } = await robotSide();
      const conn = await client;
      harness.opened.push(conn);
      const binding = conn.service('evil');
      await answerBind(await evil(), reply);
      await rejection(binding, ProtocolError);
    });
  }

  it('that adds fields of its own has them dropped before the meta-object is kept or passed on', async () => {
    const { client, evil } = await robotSide();
    const conn = await client;
    harness.opened.push(conn);
    const binding = conn.service('evil');
    const padding = 'x'.repeat(100_000);
    await answerBind(await evil(), {
      channel: 1,
      padding,
      metaObject: { name: 'evil', padding, methods: [{ ...method(0), padding }], signals: [{ id: 200, name: 's', padding }], properties: [{ id: 300, name: 'p', readOnly: true, padding }] },
    });
    const evilClient = await binding;
    expect(evilClient.metaObject).to.deep.equal({
      name: 'evil',
      methods: [method(0)],
      signals: [{ id: 200, name: 's' }],
      properties: [{ id: 300, name: 'p', readOnly: true }],
    });
  });
});
