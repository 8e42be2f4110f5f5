/**
 * The control channel (channel 0) of every link, and the meta-object that describes a service. See
 * docs/PROTOCOL.md for the wire-level description of each message.
 */
import { PROTOCOL_VERSION } from './header.js';

/** Channel 0 belongs to the link itself: handshake, bind, unbind, ping. */
export const CONTROL_CHANNEL = 0;
/** A service's main object. */
export const MAIN_OBJECT = 1;
/** Member ids from here on are the service's own methods, signals and properties; below are reserved. */
export const FIRST_MEMBER_ACTION = 100;

/** Reserved actions of a service object (0–99); the object's own members are numbered from 100. */
export const ObjectAction = {
  /** Call `[memberId]` → Reply nothing: subscribe this channel to a signal (or a property's changes). */
  registerEvent: 0,
  /** Call `[memberId]` → Reply nothing: unsubscribe. */
  unregisterEvent: 1,
  /** Call `[]` → Reply `MetaObject`. */
  metaObject: 2,
  /** Call `[propertyId]` → Reply the value. */
  property: 5,
  /** Call `[propertyId, value]` → Reply nothing; Error `BadArguments` when refused. */
  setProperty: 6,
  /** Call `[]` → Reply `{ name: value }` of every property. */
  properties: 7,
} as const;
export type ObjectAction = (typeof ObjectAction)[keyof typeof ObjectAction];

/** Actions of the control channel (object 0). */
export const ControlAction = {
  /** Call `{ name }` → Reply `BindReply`. */
  bind: 1,
  /** Call `{ channel }` → Reply nothing. */
  unbind: 2,
  /** Call nothing → Reply nothing; a liveness probe. */
  ping: 3,
  /** Post `ChannelClosedNotice`, acceptor → initiator: the binding ended on the far side. */
  channelClosed: 4,
  /**
   * Post `ClosingNotice`, acceptor → initiator: this side is closing the link on purpose (its owner closed it),
   * so the close that follows is not a crash. A peer that predates it drops it as a stray control frame.
   */
  closing: 5,
} as const;
export type ControlAction = (typeof ControlAction)[keyof typeof ControlAction];

/** Body of the Capability frames exchanged first on every link. */
export interface CapabilityBody {
  protocol: number;
  /** Optional features this side supports; unknown keys are ignored by peers. */
  features: Record<string, boolean>;
}

/** `objects`: this side takes a Reply flagged OBJECT_RESULT (a Connection's sessions do; services and gateways do not). */
export function localCapability(objects = false): CapabilityBody {
  // `progress`: this side understands a Call flagged WANTS_PROGRESS and the Progress frames that answer it.
  const features: Record<string, boolean> = { channels: true, progress: true };
  if (objects) features['objects'] = true;
  return { protocol: PROTOCOL_VERSION, features };
}

export interface MetaMethod {
  id: number;
  name: string;
  /** The fewest arguments a call must carry (all of them when `maxArity` and `variadic` are absent). */
  arity: number;
  /** The most a call may carry, when more than `arity` (optional and default parameters). */
  maxArity?: number;
  /** Present (true) when a call may carry any number from `arity` on (a rest parameter). */
  variadic?: true;
}

export interface MetaSignal {
  id: number;
  name: string;
}

export interface MetaProperty {
  id: number;
  name: string;
  readOnly: boolean;
}

/** What a bound client learns of a service: names to numeric ids, fetched once at bind. */
export interface MetaObject {
  name: string;
  methods: MetaMethod[];
  signals: MetaSignal[];
  properties: MetaProperty[];
}

export interface BindRequest {
  name: string;
  /**
   * The client a gateway binds for: its identity at the gateway, or null for an anonymous client. Honoured only
   * from a peer the service trusts with the `gateway` role; see lib/auth/roles.ts.
   */
  onBehalfOf?: { user: string; roles?: readonly string[] } | null;
}

export interface BindReply {
  channel: number;
  metaObject: MetaObject;
}

export interface UnbindRequest {
  channel: number;
}

export interface ClosingNotice {
  /** Why, as the closing side's owner said it: "service 'motion' closed". */
  reason: string;
}

export interface ChannelClosedNotice {
  channel: number;
  error: { code: string; message: string };
}
