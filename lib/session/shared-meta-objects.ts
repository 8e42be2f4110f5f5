/**
 * One copy of a service's meta-object per link, however many bindings are made to it. Every bind reply carries
 * the meta-object; decoded, it is a small tree of objects and strings (about a kilobyte). A connection with a
 * thousand clients of one service, or a gateway with a thousand forwarders to it, keeps one copy and one table of
 * member ids instead of a thousand.
 */
import type { MetaObject } from '../protocol/control.js';
import type { Session } from './session.js';

export type MemberKind = 'method' | 'signal' | 'property';
export interface MemberRef {
  id: number;
  kind: MemberKind;
}

const byLink = new WeakMap<Session, Map<string, { json: string; metaObject: MetaObject }>>();
const memberTables = new WeakMap<MetaObject, Map<string, MemberRef>>();

/** The copy of `metaObject` already held for `name` on `session` if it is the same, else `metaObject` (now held). */
export function sharedMetaObject(session: Session, name: string, metaObject: MetaObject): MetaObject {
  const json = JSON.stringify(metaObject);
  let byName = byLink.get(session);
  if (!byName) byLink.set(session, (byName = new Map()));
  const held = byName.get(name);
  if (held?.json === json) return held.metaObject;
  // Shared by every client of the service: frozen, so that no client's code can change another's member table.
  deepFreeze(metaObject);
  byName.set(name, { json, metaObject });
  return metaObject;
}

function deepFreeze(value: object): void {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  Object.freeze(value);
}

/** Member ids by name, built once per meta-object. */
export function memberIds(metaObject: MetaObject): Map<string, MemberRef> {
  let ids = memberTables.get(metaObject);
  if (ids) return ids;
  ids = new Map();
  for (const { id, name } of metaObject.methods) ids.set(name, { id, kind: 'method' });
  for (const { id, name } of metaObject.signals) ids.set(name, { id, kind: 'signal' });
  for (const { id, name } of metaObject.properties) ids.set(name, { id, kind: 'property' });
  memberTables.set(metaObject, ids);
  return ids;
}
