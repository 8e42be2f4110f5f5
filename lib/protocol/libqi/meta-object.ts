/**
 * libqi's MetaObject as the codec decodes it (its signature's annotations name every field): what a client learns
 * of a service, and what an `o` value carries.
 */
export const META_OBJECT_SIGNATURE =
  '({I(Issss[(ss)<MetaMethodParameter,name,description>]s)<MetaMethod,uid,returnSignature,name,parametersSignature,description,parameters,returnDescription>}' +
  '{I(Iss)<MetaSignal,uid,name,signature>}{I(Iss)<MetaProperty,uid,name,signature>}s)<MetaObject,methods,signals,properties,description>';

export interface LibqiMetaMethod {
  uid: number;
  returnSignature: string;
  name: string;
  /** Always a tuple: `(is)`. */
  parametersSignature: string;
  description: string;
  parameters: Array<{ name: string; description: string }>;
  returnDescription: string;
}

export interface LibqiMetaSignal {
  uid: number;
  name: string;
  /** A tuple: `(i)`, `()`; a property's signal carries the property's type. */
  signature: string;
}

export interface LibqiMetaProperty {
  uid: number;
  name: string;
  /** The property's own type: `i`, `s`, `(iis)<Point,x,y,name>`. */
  signature: string;
}

export interface LibqiMetaObject {
  methods: Map<number, LibqiMetaMethod>;
  signals: Map<number, LibqiMetaSignal>;
  properties: Map<number, LibqiMetaProperty>;
  description: string;
}
