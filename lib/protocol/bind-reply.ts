/**
 * A bind reply comes from the peer: a client reads it from its gateway or service, a gateway from a service any
 * registrant may run. It is checked and copied (known fields only) before a channel number or member id is
 * trusted or the meta-object is kept, shared and sent on: a hostile service's 16 MiB meta-object blocked a
 * gateway for 1.9 s being compared, frozen and encoded again for each client.
 */
import type { BindReply, MetaMethod, MetaObject, MetaProperty, MetaSignal } from './control.js';
import { ProtocolError } from './errors.js';

/** What a meta-object may hold; NAOqi's largest modules have a few hundred members. */
export const META_OBJECT_LIMITS = {
  /** Methods, signals and properties together. */
  maxMembers: 4_096,
  /** Characters in the service's and each member's name. */
  maxNameLength: 256,
  /** Declared arguments of one method. */
  maxArity: 255,
} as const;

/** The reply's channel and a clean copy of its meta-object, or ProtocolError. */
export function readBindReply(body: unknown): BindReply {
  const reply = (typeof body === 'object' && body !== null ? body : {}) as { channel?: unknown; metaObject?: unknown };
  const { channel } = reply;
  if (typeof channel !== 'number' || !Number.isInteger(channel) || channel <= 0 || channel > 0xffffffff) {
    throw new ProtocolError('malformed bind reply: no channel');
  }
  return { channel, metaObject: readMetaObject(reply.metaObject) };
}

export function readMetaObject(value: unknown): MetaObject {
  if (typeof value !== 'object' || value === null) throw malformed('not an object');
  const { name, methods, signals, properties } = value as Record<string, unknown>;
  if (!Array.isArray(methods) || !Array.isArray(signals) || !Array.isArray(properties)) throw malformed('member lists missing');
  const count = methods.length + signals.length + properties.length;
  if (count > META_OBJECT_LIMITS.maxMembers) throw malformed(`${count} members (at most ${META_OBJECT_LIMITS.maxMembers})`);
  return {
    name: typeof name === 'string' ? checkName(name) : '',
    methods: methods.map(readMethod),
    signals: signals.map((m: unknown): MetaSignal => readMember(m)),
    properties: properties.map((m: unknown): MetaProperty => ({ ...readMember(m), readOnly: (m as { readOnly?: unknown }).readOnly === true })),
  };
}

function readMethod(value: unknown): MetaMethod {
  const member = readMember(value);
  const { arity, maxArity, variadic } = value as { arity?: unknown; maxArity?: unknown; variadic?: unknown };
  if (!isArity(arity)) throw malformed(`bad arity of ${member.name}`);
  const method: MetaMethod = { ...member, arity };
  if (maxArity !== undefined) {
    if (!isArity(maxArity) || maxArity < arity) throw malformed(`bad maxArity of ${member.name}`);
    method.maxArity = maxArity;
  }
  if (variadic === true) method.variadic = true;
  return method;
}

const isArity = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= META_OBJECT_LIMITS.maxArity;

function readMember(value: unknown): { id: number; name: string } {
  if (typeof value !== 'object' || value === null) throw malformed('a member is not an object');
  const { id, name } = value as { id?: unknown; name?: unknown };
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) throw malformed('a member id is not a 32-bit integer');
  if (typeof name !== 'string') throw malformed('a member name is not a string');
  return { id, name: checkName(name) };
}

function checkName(name: string): string {
  if (name.length > META_OBJECT_LIMITS.maxNameLength) throw malformed(`a name longer than ${META_OBJECT_LIMITS.maxNameLength} characters`);
  return name;
}

const malformed = (why: string): ProtocolError => new ProtocolError(`malformed bind reply: ${why}`);
