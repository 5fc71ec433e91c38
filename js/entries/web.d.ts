export * from './playgate.js';
export { default } from './playgate.js';
