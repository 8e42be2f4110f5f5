export * from './errors.js';
export * from './header.js';
export * from './codec.js';
export * from './frame-decoder.js';
export * from './control.js';
export { MAX_BODY_DEPTH, MAX_BODY_ITEMS } from './cbor-limits.js';
