export * from './clock.js';
export * from './directory.js';
export * from './events.js';
export * from './secret-box.js';
export * from './store.js';
export * from './sessions.js';
