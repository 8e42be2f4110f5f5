/** The two demo services the examples serve: `echo` and `calc` (the same `qi serve --demo` serves). */
export { calcService, echoService } from '../lib/cli/demo-services.js';
