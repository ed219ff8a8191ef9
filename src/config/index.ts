export type * from './types.js';
export * from './defaults.js';
export { type ConfigResult, validateConfig } from './validate.js';
export { loadConfigFile, parseConfigText } from './load.js';
