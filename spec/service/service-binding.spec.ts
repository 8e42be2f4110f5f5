/**
 * A service binding's call tracking, the test playing the client frame by frame over a fake link: which calls a
 * Cancel can reach, what the service answers to it, and what the end of a binding does to calls still running.
 */
import { expect } from 'chai';
import { createService, TransportRegistry, withContext, type CallContext, type Service } from '../../lib/index.js';
import { ControlAction, MAIN_OBJECT, type BindReply } from '../../lib/protocol/control.js';
import { frameId, frameType, MessageType } from '../../lib/protocol/header.js';
import { openLink } from '../../lib/session/open-link.js';
import { Session } from '../../lib/session/session.js';
import { FakeTransport, type FakeLink } from '../../lib/testing/index.js';
import { eventually } from '../helpers.js';

describe('a service binding', () => {
  let service: Service;
  let session: Session;
  let serviceEnd: FakeLink;
  let channel: number;
  let ids: Map<string, number>;
  const running: CallContext[] = [];
  let finish: ((value: string) => void) | undefined;

  beforeEach(async () => {
    const fake = new FakeTransport();
    const transports = new TransportRegistry([fake]);
    const impl = {
      add: (a: number, b: number) => a + b,
      // Reads its context: tracked from the start, so a Cancel reaches it while it runs.
      watch: withContext((context: CallContext) => {
        running.push(context);
        return new Promise<string>((resolve) => (finish = resolve));
      }),
      // Ignores its context but answers later: tracked once it returns its promise.
      later: () => new Promise<string>((resolve) => (finish = resolve)),
    };
    service = await createService('jobs', impl, { transports, listen: ['fake://jobs'] });
    session = new Session('initiator');
    await openLink(session, transports, 'fake://jobs');
    serviceEnd = fake.links.at(-1)!;
    const reply = (await session.controlCall(ControlAction.bind, { name: 'jobs' })) as BindReply;
    channel = reply.channel;
    // Answers are settled only on a channel this side has bound.
    session.attachChannel(channel, { onFrame: () => {}, onClosed: () => {} });
    ids = new Map(reply.metaObject.methods.map((m) => [m.name, m.id]));
    running.length = 0;
  });
  afterEach(async () => {
    session.close();
    await service.close();
  });

  const sentByService = (type: MessageType): Uint8Array[] => serviceEnd.sent.filter((frame) => frameType(frame) === type);

  it('aborts the signal of a call canceled while it runs, answers Canceled, and drops its late result', async () => {
    const { id, result } = session.startCall(channel, MAIN_OBJECT, ids.get('watch')!, []);
    void result.catch(() => undefined);
    await eventually(() => running.length === 1, 1_000, 'the method to run');
    session.cancel(channel, id, new Error('user') as never);
    await eventually(() => running[0]!.signal.aborted, 1_000, "the method's signal to fire");
    await eventually(() => sentByService(MessageType.Canceled).length === 1, 1_000, 'the Canceled answer');
    expect(frameId(sentByService(MessageType.Canceled)[0]!)).to.equal(id);
    finish!('too late');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sentByService(MessageType.Reply).filter((f) => frameId(f) === id), 'no answer after Canceled').to.have.length(0);
    expect(service.stats.canceled).to.equal(1);
  });

  it('can cancel a call that ignores its context once it returned a promise', async () => {
    const { id, result } = session.startCall(channel, MAIN_OBJECT, ids.get('later')!, []);
    void result.catch(() => undefined);
    await eventually(() => finish !== undefined, 1_000, 'the method to run');
    session.cancel(channel, id, new Error('user') as never);
    await eventually(() => sentByService(MessageType.Canceled).length === 1, 1_000, 'the Canceled answer');
  });

  it('ignores a Cancel that comes after the answer', async () => {
    const { id, result } = session.startCall(channel, MAIN_OBJECT, ids.get('add')!, [2, 3]);
    expect(await result).to.equal(5);
    session.send(MessageType.Cancel, channel, id, 0, 0, undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sentByService(MessageType.Canceled)).to.have.length(0);
    expect(service.stats.canceled).to.equal(0);
  });

  it('aborts the calls still running when the binding ends', async () => {
    const { result } = session.startCall(channel, MAIN_OBJECT, ids.get('watch')!, []);
    void result.catch(() => undefined);
    await eventually(() => running.length === 1, 1_000, 'the method to run');
    await session.controlCall(ControlAction.unbind, { channel });
    expect(running[0]!.signal.aborted).to.equal(true);
  });
});
