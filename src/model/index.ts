// The model: types shared by every stage of the pipeline.
export type * from './generated/schema-types.js';
export * from './desired.js';
export type * from './observed.js';
export * from './declarations.js';
export * from './errors.js';
export * from './codes.js';
export * from './audit-trail.js';
export type * from './apply-report.js';
