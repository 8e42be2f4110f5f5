export * from './signature.js';
export * from './value-codec.js';
export * from './dynamic-signature.js';
export * from './values.js';
export * from './meta-object.js';
export * from './message.js';
export { BinaryWriter } from './binary-writer.js';
export * as libqiLimits from './limits.js';
