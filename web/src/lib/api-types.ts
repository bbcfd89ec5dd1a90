// Types of the control-plane API shared across the console, derived from the generated OpenAPI schema
// (lib/api-schema.ts, `npm run api:generate`). Each feature derives its own types in its `types/` folder;
// what the schema does not describe is written by hand, with the reason.
import type { components, operations } from './api-schema';

export type Schemas = components['schemas'];

/** The query parameters of an operation (by its `operationId`). */
export type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

/**
 * A stored record as the server sends it: every field present (`null` where empty). The schema describes
 * stored records with the input (`*Spec`) types, in which fields that have a default are optional.
 */
export type Complete<T> = T extends readonly (infer U)[]
  ? Complete<U>[]
  : T extends object
    ? { [K in keyof T]-?: Complete<T[K]> }
    : T;

export type TokenPair = Schemas['TokenPair'];
export type User = Schemas['User'];

// Records that several features list in selects and name in tables.
export type Cluster = Complete<Schemas['Cluster']>;
export type Service = Complete<Schemas['Service']>;

/** Filters of the list endpoints (clusters, services, proxies, policies, route tables, tracing configs: one set). */
export type ListFilters = QueryOf<'list_services'>;

/** A list answer: the items and the `X-Total-Count` header (which the schema does not declare). */
export interface ListResult<T> {
  items: T[];
  total: number;
}
