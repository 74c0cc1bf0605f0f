export * from './common.js';
export * from './provider.js';
export * from './customer.js';
export * from './rule.js';
export * from './grant.js';
export * from './audit.js';
export * from './session.js';
