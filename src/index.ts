// The capctl library: the CLI is its first consumer.
export * from './model/index.js';
export * from './plan/access.js';
export * from './plan/permissions.js';
export * from './plan/digest.js';
export * from './load/load-desired.js';
export type * from './store/org-store.js';
export * from './plan/approval-url.js';
export * from './store/file-store.js';
export * from './store/json-format.js';
export { selectOrg } from './store/select-org.js';
export type { CommitStep } from './store/journal.js';
