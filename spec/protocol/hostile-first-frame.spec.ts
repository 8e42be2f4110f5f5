/**
 * The attack as it came: before any handshake, a peer sends a Capability frame whose body is a 28/29 DAG with 2^40
 * leaves. The acceptor used to print its protocol field (`String(capability.protocol)`) and run out of heap.
 */
import { expect } from 'chai';
import { createService, MemoryTransport, TransportRegistry } from '../../lib/index.js';
import { CONTROL_CHANNEL } from '../../lib/protocol/control.js';
import { encodeFrame, MessageType } from '../../lib/protocol/header.js';
import { decodeFrames, FakeTransport, type FakeLink } from '../../lib/testing/index.js';
import { within } from '../e2e/topology.js';
import { capabilityWithDag } from './hostile-cbor.js';

describe('a 28/29 DAG as the first frame of a link', () => {
  it('closes that link with ProtocolError at once, and the process memory stays small', async () => {
    const fake = new FakeTransport();
    const transports = new TransportRegistry([fake, new MemoryTransport()]);
    const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports, listen: ['fake://calc'] });
    try {
      const link = (await fake.connect(new URL('fake://calc'))) as FakeLink;
      const closed = new Promise((resolve) => link.onClose(resolve));
      const frame = encodeFrame({ id: 1, type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, capabilityWithDag(40));
      expect(frame.length).to.be.below(300);
      const heapBefore = process.memoryUsage().heapUsed;
      const start = performance.now();
      link.peer!.injectBytes(frame);
      await within(closed, 500, 'the hostile link to be closed');
      expect(performance.now() - start, 'milliseconds to close').to.be.below(100);
      expect(process.memoryUsage().heapUsed - heapBefore, 'heap bytes grown').to.be.below(16 * 1024 * 1024);
      const [answer] = decodeFrames(link.peer!.sent);
      expect(answer!.header.type).to.equal(MessageType.Error);
      expect(answer!.body).to.deep.include({ code: 'ProtocolError' });
      expect((answer!.body as { message: string }).message).to.match(/tag 28 refused/);
      // The service still serves others.
      const other = (await fake.connect(new URL('fake://calc'))) as FakeLink;
      expect(other.closed).to.equal(false);
      other.close();
    } finally {
      await service.close();
    }
  });
});
