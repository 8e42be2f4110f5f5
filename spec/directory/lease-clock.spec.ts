/** When a lease counts as lapsed (lib/directory/lease-clock.ts), on a clock the spec turns by hand. */
import { expect } from 'chai';
import { LeaseClock } from '../../lib/directory/lease-clock.js';

describe('the lease clock', () => {
  let now = 0;
  // T = 3,000 ms, renewed every P = 1,000 ms.
  const clock = (): LeaseClock => new LeaseClock(3_000, 1_000, () => now);
  /** This instance's renewals, each seen by its watch, every P until `until`. */
  const proofs = (leases: LeaseClock, until: number): void => {
    for (; now < until; now += 1_000) leases.current();
    now = until;
    leases.current();
  };
  beforeEach(() => (now = 0));

  it("judges a lease lapsed once it is not renewed within T of proofs, never this instance's own", () => {
    const leases = clock();
    leases.current();
    leases.renewed('a');
    leases.renewed('self');
    proofs(leases, 3_000);
    expect(leases.lapsed('self')).to.deep.equal([]);
    proofs(leases, 3_001);
    expect(leases.lapsed('self')).to.deep.equal(['a']);
    leases.renewed('a');
    proofs(leases, 3_002);
    expect(leases.lapsed('self')).to.deep.equal([]);
  });

  it('starts the clock of a lease first named by a registration, and lapses a deleted lease at once', () => {
    const leases = clock();
    proofs(leases, 10_000);
    leases.noticed('b');
    leases.noticed('c');
    proofs(leases, 12_000);
    leases.noticed('b');
    leases.released('c');
    expect(leases.lapsed('self')).to.deep.equal(['c']);
    proofs(leases, 13_001);
    expect(leases.lapsed('self')).to.have.members(['b', 'c']);
    leases.forget('c');
    expect(leases.lapsed('self')).to.deep.equal(['b']);
  });

  it('judges nobody without a recent proof that its watch is current, however long ago the last renewal', () => {
    const leases = clock();
    leases.current();
    leases.renewed('a');
    now = 60_000; // frozen, or its watch stalled: no proof since
    expect(leases.lapsed('self')).to.deep.equal([]);
  });

  it('counts a leader election of any length as one period: a host renewing within P after it is kept', () => {
    for (const electionMs of [500, 1_500, 3_000, 9_000, 60_000]) {
      now = 0;
      const leases = clock();
      proofs(leases, 5_000);
      leases.renewed('a'); // a's last renewal before the election, just after this instance's own
      now += 999;
      // No write works for electionMs; then this instance's own renewal is the first, a's comes one period later.
      now += electionMs;
      leases.current();
      expect(leases.lapsed('self'), `election ${electionMs} ms`).to.deep.equal([]);
      now += 999;
      leases.current();
      expect(leases.lapsed('self'), `election ${electionMs} ms`).to.deep.equal([]);
      leases.renewed('a');
      proofs(leases, now + 2_900);
      expect(leases.lapsed('self'), `election ${electionMs} ms`).to.deep.equal([]);
    }
  });

  it('lapses a dead host T to T + P after its last renewal, an election or not', () => {
    const leases = clock();
    proofs(leases, 2_000);
    now += 400;
    leases.renewed('dead');
    proofs(leases, now + 600 + 1_000);
    expect(leases.lapsed('self')).to.deep.equal([]);
    now += 5_000; // an election
    leases.current();
    expect(leases.lapsed('self')).to.deep.equal([]);
    now += 1_000;
    leases.current();
    expect(leases.lapsed('self')).to.deep.equal(['dead']);
  });
});
