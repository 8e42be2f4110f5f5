/** Small assertions shared by the specs. */
import { expect } from 'chai';
import { encodeMessage } from '../lib/protocol/codec.js';
import { CONTROL_CHANNEL, localCapability } from '../lib/protocol/control.js';
import { MessageType } from '../lib/protocol/header.js';
import { Session, type SessionOptions, type SessionRole } from '../lib/session/session.js';
import { MemoryTransport, TransportRegistry } from '../lib/index.js';
import { FakeTransport, type FakeLink } from '../lib/testing/index.js';
import type { ListenOptions } from '../lib/transports/transport.js';

/** Awaits `promise`, asserts it rejects with an instance of `type`, and returns the error. */
export async function rejection<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: await promise };
  } catch (error) {
    outcome = { error };
  }
  if (!('error' in outcome)) expect.fail(`expected a rejection with ${type.name}, got the value ${String(outcome.value)}`);
  expect(outcome.error).to.be.instanceOf(type);
  return outcome.error as E;
}

/** Resolves once `condition` holds, polling on the event loop; fails after `ms`. */
export async function eventually(condition: () => boolean, ms = 2_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`${what} did not hold within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A session of `role` on a fake link whose far end the test plays (`peer`): the handshake is done, and every
 * frame the session sends arrives in `received`.
 */
export async function fakeSession(
  role: SessionRole,
  options: SessionOptions = {},
  /** Options of the accepting end's link (an acceptor session's own link), e.g. `maxBufferedBytes`. */
  listenOptions: ListenOptions = {},
  /** The Capability the test's peer opens with (default: this version's, `localCapability()`). */
  peerCapability: object = localCapability(),
): Promise<{ session: Session; link: FakeLink; peer: FakeLink; received: Uint8Array[] }> {
  const fake = new FakeTransport();
  const url = new URL(`fake://peer-${++fakeSessions}`);
  await fake.listen(url, () => {}, listenOptions);
  const initiatorEnd = (await fake.connect(url)) as FakeLink;
  const [link, peer] = role === 'initiator' ? [initiatorEnd, initiatorEnd.peer!] : [initiatorEnd.peer!, initiatorEnd];
  const received: Uint8Array[] = [];
  peer.onFrame((frame) => received.push(frame));
  const session = new Session(role, options, role === 'acceptor' ? () => Promise.reject(new Error('no binds here')) : undefined);
  session.attach(link);
  peer.send(encodeMessage({ id: 0, type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, peerCapability));
  await eventually(() => session.isOpen, 1_000, 'the handshake');
  received.length = 0;
  return { session, link, peer, received };
}
let fakeSessions = 0;

/** A Capability frame as a well-behaved peer sends it first. */
export function capabilityFrame(id = 0): Uint8Array {
  return encodeMessage({ id, type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, localCapability());
}

/**
 * For a `describe` whose tests play peers through the fake transport: a fresh FakeTransport (with memory beside
 * it) before each test, and everything a test pushed to `opened` closed after it, newest first.
 */
export function withFakeTransport(): { fake: FakeTransport; transports: TransportRegistry; opened: Array<{ close(): Promise<void> }> } {
  const harness = { fake: new FakeTransport(), transports: new TransportRegistry([]), opened: [] as Array<{ close(): Promise<void> }> };
  beforeEach(() => {
    harness.fake = new FakeTransport();
    harness.transports = new TransportRegistry([harness.fake, new MemoryTransport()]);
  });
  afterEach(async () => {
    for (const handle of harness.opened.splice(0).reverse()) await handle.close();
  });
  return harness;
}
