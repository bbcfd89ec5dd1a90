import type { Schemas } from '@/lib/api-types';

export type { User } from '@/lib/api-types';
export type UserInput = Schemas['CreateUser'];
/** A change to a user (PATCH): a new role, a new password, or both. */
export type UserChange = Schemas['UpdateUser'];
export type Role = Schemas['Role'];
