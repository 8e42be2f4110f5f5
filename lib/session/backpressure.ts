/**
 * Pausing the peer that causes congestion: when a link this side writes to cannot take more, stop reading the
 * session whose frames fill it, until that link drains. Used by a gateway's routes (a client's calls fill the
 * service link; a client that does not read fills its own) and by a service (a direct client that does not read
 * its replies). Never the other way round: a service link that several clients share is not paused for one of them.
 */
import type { Session } from './session.js';

/** Sessions paused until some congested link drains; one drain handler per paused session, not per frame. */
const throttled = new WeakSet<Session>();

/**
 * When `target`'s link is congested, stops reading `source` (which may be `target` itself) until it drains. One
 * check of `congested` when it is not: cheap enough for every frame.
 */
export function throttle(target: Session, source: Session): void {
  if (!target.congested || throttled.has(source)) return;
  throttled.add(source);
  source.pause();
  target.onDrain(() => {
    throttled.delete(source);
    source.resume();
  });
}
