import { expect } from 'chai';
import fc from 'fast-check';
import sinon from 'sinon';
import { ClosedError, LimitExceededError, ServiceGoneError } from '../../lib/protocol/errors.js';
import { CallTable, type PendingCall } from '../../lib/session/call-table.js';
import { rejection } from '../helpers.js';

/** The table's private state, to check that it grows and shrinks. */
const internals = (table: CallTable) => table as unknown as { slots: unknown[]; nextId: number };

describe('CallTable', () => {
  it('matches answers by id, once: a second or unknown answer finds nothing', async () => {
    const table = new CallTable(100);
    const first = table.open(1);
    const second = table.open(1);
    expect(first.id).to.not.equal(second.id);
    table.take(second.id, 1)!.resolve('two');
    expect(table.take(second.id, 1)).to.equal(undefined);
    expect(table.take(12345, 1)).to.equal(undefined);
    table.take(first.id, 1)!.resolve('one');
    expect(await Promise.all([first.result, second.result])).to.deep.equal(['one', 'two']);
    expect(table.size).to.equal(0);
  });

  it('behaves like a map of the calls in flight, whatever the order of answers', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('open' as const), fc.nat(200)), { maxLength: 400 }), (steps) => {
        const table = new CallTable(1_000);
        const model = new Map<number, PendingCall>();
        for (const step of steps) {
          if (step === 'open') {
            const call = table.open(7);
            expect(model.has(call.id), `id ${call.id} is already in flight`).to.equal(false);
            model.set(call.id, call);
          } else {
            const ids = [...model.keys()];
            const id = ids.length > 0 ? ids[step % ids.length]! : step;
            expect(table.take(id, 7)).to.equal(model.get(id));
            model.delete(id);
          }
          expect(table.size).to.equal(model.size);
        }
        for (const [id, call] of model) expect(table.take(id, 7)).to.equal(call);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a call that stays in flight while many thousands come and go, and skips its id after wrap-around', async () => {
    const table = new CallTable(100_000);
    const longLived = table.open(1);
    for (let i = 0; i < 20_000; i++) table.take(table.open(1).id, 1);
    internals(table).nextId = 0xfffffffe;
    const ids = [table.open(1).id, table.open(1).id, table.open(1).id];
    expect(longLived.id).to.equal(1);
    expect(ids).to.deep.equal([0xfffffffe, 0xffffffff, 2]);
    table.take(longLived.id, 1)!.resolve('late');
    expect(await longLived.result).to.equal('late');
  });

  it('starts again small once a large table stays empty: an idle link keeps no room for its last burst', async () => {
    const table = new CallTable(100_000);
    const calls = Array.from({ length: 10_000 }, () => table.open(1));
    expect(internals(table).slots.length).to.be.at.least(20_000);
    for (const call of calls) table.take(call.id, 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(internals(table).slots.length).to.equal(16);
  });

  it('does not regrow from 16 slots every round when a window of 1,000 calls empties it at once each round', async () => {
    const table = new CallTable(100_000);
    const resize = sinon.spy(table as unknown as { resize(length: number): void }, 'resize');
    for (let round = 0; round < 50; round++) {
      const window = Array.from({ length: 1_000 }, () => table.open(1));
      for (const call of window) table.take(call.id, 1);
      // The callers send their next calls in a later job of the same turn, as answered promises' reactions do.
      await Promise.resolve();
    }
    // Growing from 16 to 2,048 slots takes 7 doublings, and then it keeps that size.
    expect(resize.callCount).to.equal(7);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(internals(table).slots.length, 'idle now: back to the smallest table').to.equal(16);
  });

  it('halves after a burst while calls go on at a lower level', () => {
    const table = new CallTable(100_000);
    const calls = Array.from({ length: 10_000 }, () => table.open(1));
    for (const call of calls.slice(1)) table.take(call.id, 1);
    expect(internals(table).slots.length).to.be.at.least(20_000);
    for (let i = 0; i < 200_000; i++) table.take(table.open(1).id, 1);
    expect(internals(table).slots.length).to.equal(16);
    expect(table.take(calls[0]!.id, 1)).to.equal(calls[0]);
  });

  it('does not halve and double again when a small window of calls fills and empties it every round', () => {
    const table = new CallTable(100_000);
    const resize = sinon.spy(table as unknown as { resize(length: number): void }, 'resize');
    for (let round = 0; round < 200; round++) {
      const window = Array.from({ length: 100 }, () => table.open(1));
      for (const call of window) table.take(call.id, 1);
    }
    // Growing from 16 to 256 slots takes 4 doublings, and then it keeps that size.
    expect(resize.callCount).to.equal(4);
    expect(internals(table).slots.length).to.equal(256);
  });

  it('keeps its size when halving would make two calls collide, and halves once they are gone', () => {
    const table = new CallTable(100_000);
    const calls = Array.from({ length: 40 }, () => table.open(1)); // ids 1..40, in 128 slots
    expect(internals(table).slots.length).to.equal(128);
    // Keep ids 1 and 65: in 64 slots they would share slot 1.
    const kept = [calls[0]!, table.open(1)];
    while (kept[1]!.id !== 65) {
      table.take(kept[1]!.id, 1);
      kept[1] = table.open(1);
    }
    for (const call of calls.slice(1)) table.take(call.id, 1);
    const trickle = (n: number): void => {
      for (let i = 0; i < n; i++) table.take(table.open(1).id, 1);
    };
    trickle(2_000);
    expect(table.size).to.equal(2);
    expect(internals(table).slots.length, 'not halved: 1 and 65 would collide').to.equal(128);
    expect(table.take(1, 1)).to.equal(kept[0]);
    expect(table.take(65, 1)).to.equal(kept[1]);
    trickle(2_000);
    expect(internals(table).slots.length).to.equal(16);
  });

  it('fails one channel\'s calls, or all of them, and refuses calls beyond its limit', async () => {
    const table = new CallTable(3);
    const [a, b, c] = [table.open(1), table.open(2), table.open(1)];
    expect(() => table.open(1)).to.throw(LimitExceededError);
    table.failChannel(1, new ServiceGoneError('unbound'));
    await rejection(a.result, ServiceGoneError);
    await rejection(c.result, ServiceGoneError);
    expect(table.size).to.equal(1);
    table.failAll(new ClosedError('link closed'));
    await rejection(b.result, ClosedError);
    expect(table.size).to.equal(0);
    expect(table.open(3).id).to.be.above(0);
  });
});
