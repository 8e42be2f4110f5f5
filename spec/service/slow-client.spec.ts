/**
 * A service facing a direct client that calls and does not read its replies, the test playing the client frame
 * by frame over a fake link: the service stops reading that client while its replies back up, closes its link
 * past maxBufferedBytes, and bounds the calls it is answering later on one link at maxPendingCalls.
 */
import { expect } from 'chai';
import { LimitExceededError, TransportRegistry } from '../../lib/index.js';
import { decodeMessageBody, encodeMessage } from '../../lib/protocol/codec.js';
import { ControlAction, MAIN_OBJECT, type BindReply } from '../../lib/protocol/control.js';
import { frameChannel, frameId, frameType, MessageType } from '../../lib/protocol/header.js';
import { describeMembers } from '../../lib/service/meta-object.js';
import { ServiceHost } from '../../lib/service/service-host.js';
import type { HostOptions } from '../../lib/session/link-host.js';
import { openLink } from '../../lib/session/open-link.js';
import { Session } from '../../lib/session/session.js';
import { FakeTransport, type FakeLink } from '../../lib/testing/index.js';
import { eventually } from '../helpers.js';

describe('a service with a client that does not read', () => {
  let host: ServiceHost;
  let client: Session;
  let serviceEnd: FakeLink;
  let channel: number;
  let ids: Map<string, number>;
  const later: Array<() => void> = [];

  async function serve(options: HostOptions): Promise<void> {
    const fake = new FakeTransport();
    const transports = new TransportRegistry([fake]);
    const impl = {
      chunk: () => new Uint8Array(64 << 10),
      small: () => 1,
      later: () => new Promise<number>((resolve) => later.push(() => resolve(2))),
      laterChunk: () => new Promise<Uint8Array>((resolve) => later.push(() => resolve(new Uint8Array(64 << 10)))),
    };
    host = new ServiceHost('bulk', describeMembers('bulk', impl), transports, options);
    await host.links.listen(['fake://bulk']);
    client = new Session('initiator');
    await openLink(client, transports, 'fake://bulk');
    serviceEnd = fake.links.at(-1)!;
    const reply = (await client.controlCall(ControlAction.bind, { name: 'bulk' })) as BindReply;
    channel = reply.channel;
    client.attachChannel(channel, { onFrame: () => {}, onClosed: () => {} });
    ids = new Map(reply.metaObject.methods.map((m) => [m.name, m.id]));
  }
  afterEach(async () => {
    later.length = 0;
    client.close();
    await host.close();
  });

  /** Calls sent in one tick arrive at the service in one chunk, as a TCP read. */
  const callsFrom = (first: number, count: number, method: string): void => {
    for (let id = first; id < first + count; id++) {
      client.sendFrame(encodeMessage({ type: MessageType.Call, channel, id, object: MAIN_OBJECT, action: ids.get(method)! }, []));
    }
  };
  const answers = (): Uint8Array[] =>
    serviceEnd.sent.filter((frame) => frameChannel(frame) !== 0 && (frameType(frame) === MessageType.Reply || frameType(frame) === MessageType.Error));

  it('stops reading its calls while its replies back up, and reads them again once they drain', async () => {
    await serve({});
    serviceEnd.congest();
    callsFrom(1, 20, 'small');
    await eventually(() => serviceEnd.isPaused, 1_000, 'the client link to be paused');
    expect(answers().length, 'answered before the pause took effect, mid-read').to.equal(1);
    serviceEnd.drain();
    await eventually(() => answers().length === 20, 1_000, 'the calls held while paused');
    expect(answers().map(frameId)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(serviceEnd.isPaused).to.equal(false);
  });

  it('closes the link with LimitExceeded once it holds more than maxBufferedBytes for the client', async () => {
    await serve({ maxBufferedBytes: 1 << 20 });
    const [atService] = [...host.links.sessions];
    let reason: unknown;
    client.onClosed((r) => (reason = r));
    // 32 calls answered later with 64 KiB each (2 MiB), accepted before any reply backs up; then it stops reading.
    callsFrom(1, 32, 'laterChunk');
    await eventually(() => later.length === 32, 1_000, 'the calls to run');
    serviceEnd.congest();
    for (const answer of later.splice(0)) answer();
    await eventually(() => serviceEnd.closed, 1_000, 'the link to the client to close');
    expect(atService!.reason).to.be.instanceOf(LimitExceededError);
    expect(host.links.sessions.size, 'the acceptor session is gone with its link').to.equal(0);
    expect(serviceEnd.bufferedBytes, 'what was held for it is dropped').to.equal(0);
    expect(answers().length, 'answers queued before the limit').to.be.within(14, 16);
    await eventually(() => reason !== undefined, 1_000, 'the client to see its link go');
  });

  it('answers LimitExceeded to a call beyond maxPendingCalls calls being answered on one link, across its bindings', async () => {
    await serve({ maxPendingCalls: 3 });
    const second = ((await client.controlCall(ControlAction.bind, { name: 'bulk' })) as BindReply).channel;
    client.attachChannel(second, { onFrame: () => {}, onClosed: () => {} });
    callsFrom(1, 2, 'later');
    client.sendFrame(encodeMessage({ type: MessageType.Call, channel: second, id: 3, object: MAIN_OBJECT, action: ids.get('later')! }, []));
    client.sendFrame(encodeMessage({ type: MessageType.Call, channel: second, id: 4, object: MAIN_OBJECT, action: ids.get('later')! }, []));
    callsFrom(5, 1, 'small');
    await eventually(() => answers().length === 2, 1_000, 'the refused calls');
    expect(answers().map(frameId)).to.deep.equal([4, 5]);
    expect((decodeMessageBody(answers()[0]!) as { code: string }).code).to.equal('LimitExceeded');
    expect(later.length, 'methods run').to.equal(3);

    later.shift()!();
    await eventually(() => answers().length === 3, 1_000, 'the answer that makes room');
    callsFrom(6, 1, 'small');
    await eventually(() => answers().length === 4, 1_000, 'a call that now has room');
    expect(frameType(answers()[3]!)).to.equal(MessageType.Reply);
    expect(frameId(answers()[3]!)).to.equal(6);
  });
});

