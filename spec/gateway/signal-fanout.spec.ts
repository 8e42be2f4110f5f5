/**
 * The gateway's signal fan-out in isolation, the test playing the service: however many routes subscribe to a
 * signal, the service is asked once (one bind, one registerEvent), each emission arrives once and is copied to
 * every subscriber, and the last one to leave unsubscribes upstream.
 */
import { expect } from 'chai';
import { SignalFanout, type FanoutSubscriber } from '../../lib/gateway/signal-fanout.js';
import { decodeMessageBody, encodeMessage } from '../../lib/protocol/codec.js';
import { ControlAction, ObjectAction } from '../../lib/protocol/control.js';
import { frameAction, frameChannel, frameId, frameType, MessageType } from '../../lib/protocol/header.js';
import { eventually, fakeSession } from '../helpers.js';

const FANOUT_CHANNEL = 9;
const SIGNAL = 101;

describe('a signal fan-out', () => {
  it('subscribes upstream once for many routes, copies each emission to each, and unsubscribes after the last', async () => {
    const service = await fakeSession('initiator');
    // The test answers as the service: a bind gives channel 9, every call on it succeeds.
    service.peer.onFrame((frame) => {
      service.received.push(frame);
      if (frameType(frame) !== MessageType.Call) return;
      const body = frameAction(frame) === ControlAction.bind && frameChannel(frame) === 0 ? { channel: FANOUT_CHANNEL, metaObject: {} } : undefined;
      service.peer.send(encodeMessage({ type: MessageType.Reply, channel: frameChannel(frame), id: frameId(frame), object: 0, action: frameAction(frame) }, body));
    });
    const fanout = new SignalFanout(service.session, 'ticker');
    const delivered: Array<Array<Uint8Array>> = [[], [], []];
    const routes: FanoutSubscriber[] = delivered.map((frames) => ({ deliverEvent: (frame) => frames.push(frame) }));

    await Promise.all(routes.map((route) => fanout.subscribe(route, SIGNAL)));
    const calls = service.received.filter((frame) => frameType(frame) === MessageType.Call);
    expect(calls.map(frameAction), 'one bind, one registerEvent').to.deep.equal([ControlAction.bind, ObjectAction.registerEvent]);
    expect(decodeMessageBody(calls[1]!)).to.deep.equal([SIGNAL]);

    service.peer.send(encodeMessage({ type: MessageType.Event, channel: FANOUT_CHANNEL, id: 0, object: 1, action: SIGNAL }, ['tick']));
    await eventually(() => delivered.every((frames) => frames.length === 1), 1_000, 'the emission at every route');
    const [a, b, c] = delivered.map((frames) => frames[0]!);
    expect(a !== b && b !== c && a !== c, 'each route gets a frame of its own to rewrite').to.equal(true);
    expect(fanout.eventsIn).to.equal(1);
    expect(fanout.eventsOut).to.equal(3);

    fanout.dropSubscriber(routes[0]!);
    await fanout.unsubscribe(routes[1]!, SIGNAL);
    const unregisters = (): number =>
      service.received.filter((f) => frameType(f) === MessageType.Call && frameChannel(f) === FANOUT_CHANNEL && frameAction(f) === ObjectAction.unregisterEvent).length;
    expect(unregisters(), 'a subscriber is left').to.equal(0);
    fanout.dropSubscriber(routes[2]!);
    await eventually(
      () => unregisters() === 1,
      1_000,
      'the upstream unregisterEvent after the last subscriber',
    );
    service.session.close();
  });
});
