import type { Schemas } from '@/lib/api-types';

export type { User } from '@/lib/api-types';
export type UserInput = Schemas['CreateUser'];
export type Role = Schemas['Role'];
