import type { Schemas } from '@/lib/api-types';

export type { Cluster } from '@/lib/api-types';
export type ClusterInput = Schemas['ClusterSpec'];
export type ClusterCreated = Schemas['ClusterCreated'];
export type ApiKey = Schemas['ApiKey'];
