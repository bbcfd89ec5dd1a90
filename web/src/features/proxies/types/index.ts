import type { Schemas } from '@/lib/api-types';

export type Proxy = Schemas['Proxy'];
