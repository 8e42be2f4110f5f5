/**
 * A libqi object's meta-object as qimessaging clients see it through a bridging gateway (docs/PROTOCOL.md §11).
 *
 * libqi overloads are separate methods with their own ids (`sum(ii)` = 126, `sum(dd)` = 127, `sum([i])` = 128);
 * qimessaging methods have a name and an arity range. So each libqi name becomes one qimessaging method, with the
 * id of its first overload and the arity range of all of them (`sum`: 1–2 arguments), and the gateway picks the
 * overload at call time by LibqiServiceClient's rule (member-resolution.ts: the first, in id order, whose parameter
 * count matches and that the arguments encode under). A name with several overloads also gets one method per
 * overload, named as libqi names them (`sum::(dd)`), so a client can choose one explicitly; those are numbered
 * after the object's highest libqi id. Signals and properties keep their libqi ids; a property's own signal (same
 * id) is the property's change event, not a separate signal. Built-in members (ids below 100) are not listed:
 * qimessaging's own object actions (registerEvent, property, …) are mapped onto libqi's by the route.
 */
import { FIRST_MEMBER_ACTION, type MetaObject } from '../protocol/control.js';
import { parseSignature, type LibqiMetaObject } from '../protocol/libqi/index.js';

/** What the route needs to translate a call: the libqi name (or `name::(sig)`) and the arity range. */
export interface BridgedMethod {
  name: string;
  min: number;
  max: number;
}

export interface BridgedMetaObject {
  metaObject: MetaObject;
  methods: ReadonlyMap<number, BridgedMethod>;
  /** Signal and property ids → their libqi names (what `on` takes). */
  events: ReadonlyMap<number, string>;
  /** Property ids → their libqi names. */
  properties: ReadonlyMap<number, string>;
}

export function bridgeMetaObject(name: string, libqi: LibqiMetaObject): BridgedMetaObject {
  const metaObject: MetaObject = { name, methods: [], signals: [], properties: [] };
  const methods = new Map<number, BridgedMethod>();
  const events = new Map<number, string>();
  const properties = new Map<number, string>();
  const byName = new Map<string, Array<{ uid: number; signature: string; count: number }>>();
  let highest = FIRST_MEMBER_ACTION - 1;
  for (const method of [...libqi.methods.values()].sort((a, b) => a.uid - b.uid)) {
    highest = Math.max(highest, method.uid);
    if (method.uid < FIRST_MEMBER_ACTION) continue;
    const params = parseSignature(method.parametersSignature);
    const count = params.kind === '(' ? params.fields.length : 1;
    let overloads = byName.get(method.name);
    if (!overloads) byName.set(method.name, (overloads = []));
    overloads.push({ uid: method.uid, signature: method.parametersSignature, count });
  }
  for (const member of [...libqi.signals.values(), ...libqi.properties.values()]) highest = Math.max(highest, member.uid);
  let nextId = highest + 1;
  const add = (id: number, methodName: string, min: number, max: number): void => {
    methods.set(id, { name: methodName, min, max });
    metaObject.methods.push(max > min ? { id, name: methodName, arity: min, maxArity: max } : { id, name: methodName, arity: min });
  };
  for (const [methodName, overloads] of byName) {
    const counts = overloads.map((o) => o.count);
    add(overloads[0]!.uid, methodName, Math.min(...counts), Math.max(...counts));
    if (overloads.length > 1) for (const o of overloads) add(nextId++, `${methodName}::${o.signature}`, o.count, o.count);
  }
  for (const property of [...libqi.properties.values()].sort((a, b) => a.uid - b.uid)) {
    if (property.uid < FIRST_MEMBER_ACTION) continue;
    properties.set(property.uid, property.name);
    events.set(property.uid, property.name);
    metaObject.properties.push({ id: property.uid, name: property.name, readOnly: false });
  }
  for (const signal of [...libqi.signals.values()].sort((a, b) => a.uid - b.uid)) {
    if (signal.uid < FIRST_MEMBER_ACTION || properties.has(signal.uid)) continue;
    events.set(signal.uid, signal.name);
    metaObject.signals.push({ id: signal.uid, name: signal.name });
  }
  return { metaObject, methods, events, properties };
}
