/**
 * Bounds on the links a libqi service or directory accepts, as a native listener's (LinkHost: `maxLinks`,
 * `maxLinksPerAddress`): one link past either is answered, at its first message, with an Error
 * `LimitExceeded: …` and closed, so that a libqi client is told why rather than seeing a bare close; one that
 * says nothing is closed after 2 s, and while 64 refused links already wait in the process, one more is closed at
 * once, untold. Without a bound, one host could open links until the process ran out of sockets or memory.
 */
import { buildLibqiMessage, encodeToBytes, readLibqiHeader, typed } from '../protocol/libqi/index.js';
import { MessageType } from '../protocol/header.js';
import { LimitExceededError } from '../protocol/errors.js';
import type { Link } from '../transports/transport.js';
import { remoteHost } from '../transports/url.js';

export interface LibqiLinkLimits {
  /** Most links accepted at once (default 10,000, as a native listener). */
  maxLinks?: number;
  /** Most links accepted at once from one remote host (default 1,024, as a native listener). */
  maxLinksPerAddress?: number;
}

/** What a refusal's Error text starts with, so that this library's client reads it as LimitExceeded. */
export const LIMIT_EXCEEDED_PREFIX = 'LimitExceeded: ';
/** How long a refused link may take to send the message its refusal answers. */
const REFUSED_LINK_DEADLINE_MS = 2_000;
/**
 * Refused links waiting for that message in this process, at most: past it a refused link is closed at once, untold, so that a
 * flood of links past the limit cannot hold sockets open itself.
 */
const MAX_REFUSED_WAITING = 64;
let refusedWaiting = 0;

export class LibqiLinkAdmission {
  /** Links accepted and open. */
  open = 0;
  /** Links refused since the start. */
  refused = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly limits: LibqiLinkLimits = {}) {}

  /**
   * Admits `link`, counted until the returned release is called (a Link has one close handler, which its user
   * owns: that user calls release when the link closes), or refuses it (undefined: answered and closed here).
   */
  admit(link: Link): (() => void) | undefined {
    const address = remoteHost(link.remote);
    const refusal = this.refusal(address);
    if (refusal) {
      this.refused++;
      refuse(link, refusal);
      return undefined;
    }
    this.open++;
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    };
  }

  private refusal(address: string): LimitExceededError | undefined {
    const maxLinks = this.limits.maxLinks ?? 10_000;
    if (this.open >= maxLinks) return new LimitExceededError(`this endpoint accepts at most ${maxLinks} links`);
    const perAddress = this.limits.maxLinksPerAddress ?? 1_024;
    if ((this.perAddress.get(address) ?? 0) >= perAddress) return new LimitExceededError(`this endpoint accepts at most ${perAddress} links from one address`);
    return undefined;
  }
}

/** Answers the first message (a libqi client's authenticate) with an Error saying why, then closes. */
function refuse(link: Link, error: LimitExceededError): void {
  if (refusedWaiting >= MAX_REFUSED_WAITING) {
    link.close(error);
    return;
  }
  refusedWaiting++;
  const timer = setTimeout(() => link.close(error), REFUSED_LINK_DEADLINE_MS);
  timer.unref?.();
  link.onClose(() => {
    clearTimeout(timer);
    refusedWaiting--;
  });
  link.onFrame((frame) => {
    link.onFrame(() => {});
    try {
      const header = readLibqiHeader(frame);
      if (header.type === MessageType.Call) {
        link.send(buildLibqiMessage({ ...header, type: MessageType.Error, flags: 0 }, encodeToBytes('m', typed('s', `${LIMIT_EXCEEDED_PREFIX}${error.message}`))));
      }
    } finally {
      link.close();
    }
  });
}
