/** When a lease counts as lapsed (lib/directory/lease-clock.ts), on a clock the spec turns by hand. */
import { expect } from 'chai';
import { LeaseClock } from '../../lib/directory/lease-clock.js';

describe('the lease clock', () => {
  let now = 0;
  const clock = (): LeaseClock => new LeaseClock(3_000, () => now);
  beforeEach(() => (now = 0));

  it('judges a lease lapsed once it is not renewed within T, never this instance\'s own', () => {
    const leases = clock();
    leases.renewed('a');
    leases.renewed('self');
    now = 3_000;
    expect(leases.lapsed('self')).to.deep.equal([]);
    now = 3_001;
    expect(leases.lapsed('self')).to.deep.equal(['a']);
    leases.renewed('a');
    expect(leases.lapsed('self')).to.deep.equal([]);
  });

  it('starts the clock of a lease first named by a registration, and lapses a deleted lease at once', () => {
    const leases = clock();
    now = 10_000;
    leases.noticed('b');
    leases.noticed('c');
    now = 12_000;
    leases.noticed('b');
    leases.released('c');
    expect(leases.lapsed('self')).to.deep.equal(['c']);
    now = 13_001;
    expect(leases.lapsed('self')).to.have.members(['b', 'c']);
    leases.forget('c');
    expect(leases.lapsed('self')).to.deep.equal(['b']);
  });

  it('judges nobody while its own renewal fails, and gives every lease a fresh T when it works again', () => {
    const leases = clock();
    leases.renewed('a');
    now = 1_000;
    leases.ownRenewal(false);
    now = 9_000; // a leader election longer than T: nobody could renew
    expect(leases.lapsed('self')).to.deep.equal([]);
    leases.ownRenewal(true);
    expect(leases.lapsed('self')).to.deep.equal([]);
    now = 12_001;
    expect(leases.lapsed('self')).to.deep.equal(['a']);
  });
});
