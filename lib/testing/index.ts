/** Test helpers for users of qimessaging: `import { FakeTransport } from 'qimessaging/testing'`. */
export { FakeTransport, FakeLink } from './fake-transport.js';
export { decodeFrames } from './decode-frames.js';
