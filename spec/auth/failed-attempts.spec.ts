/** Failed authentications per remote host: blocked past the limit, free again once the window has passed. */
import { expect } from 'chai';
import sinon from 'sinon';
import { FailedAttempts } from '../../lib/auth/failed-attempts.js';

describe('failed attempts', () => {
  it('block a host past its failures, by host whatever the port, until the window has passed', () => {
    const clock = sinon.useFakeTimers({ toFake: ['Date'] });
    try {
      const attempts = new FailedAttempts({ maxFailures: 2, windowMs: 1_000 });
      attempts.failed('tcp://10.0.0.7:50001');
      expect(attempts.blocks('tcp://10.0.0.7:50002')).to.equal(false);
      attempts.failed('tcp://10.0.0.7:50003');
      expect(attempts.blocks('tcp://10.0.0.7:50004'), 'another port, the same host').to.equal(true);
      expect(attempts.blocks('tcp://10.0.0.8:50004'), 'another host').to.equal(false);
      clock.tick(1_001);
      expect(attempts.blocks('tcp://10.0.0.7:50005'), 'the window has passed').to.equal(false);
    } finally {
      clock.restore();
    }
  });
});
