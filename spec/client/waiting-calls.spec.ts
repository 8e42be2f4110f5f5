/** Calls waiting for a suspended binding: bounded, each up to its own deadline, sent once with the time left. */
import { expect } from 'chai';
import { CanceledError, LimitExceededError, TimeoutError } from '../../lib/index.js';
import { WaitingCalls } from '../../lib/client/waiting-calls.js';
import { rejection } from '../helpers.js';

describe('waiting calls', () => {
  it('refuse one more than their bound, time out, cancel, and send the rest once with the time left', async () => {
    const waiting = new WaitingCalls(3);
    const sent: Array<number | undefined> = [];
    const send = (timeLeft: number | undefined): Promise<string> => (sent.push(timeLeft), Promise.resolve('sent'));
    const timedOut = rejection(waiting.wait(send, 10, undefined), TimeoutError);
    const controller = new AbortController();
    const canceled = rejection(waiting.wait(send, undefined, controller.signal), CanceledError);
    const kept = waiting.wait(send, 5_000, undefined);
    await rejection(waiting.wait(send, undefined, undefined), LimitExceededError);
    controller.abort();
    await canceled;
    await timedOut;
    expect(waiting.size).to.equal(1);
    waiting.resume();
    expect(await kept).to.equal('sent');
    expect(sent).to.have.length(1);
    expect(sent[0]).to.be.within(4_000, 5_000);
    waiting.resume();
    expect(sent, 'nothing is sent twice').to.have.length(1);
  });
});
