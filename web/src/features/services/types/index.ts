import type { Schemas } from '@/lib/api-types';

export type { Service } from '@/lib/api-types';
export type ServiceInput = Schemas['ServiceSpec'];
export type ServiceProtocol = Schemas['ServiceProtocol'];
