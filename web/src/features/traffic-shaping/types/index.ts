import type { Complete, Schemas } from '@/lib/api-types';

export type Priority = Schemas['Priority'];
export type Dscp = Schemas['Dscp'];
export type BandwidthScope = Schemas['BandwidthScope'];
export type ClusterShare = Schemas['ClusterShare'];
export type QosPolicyInput = Schemas['QosPolicySpec'];
export type QosPolicy = Complete<Schemas['QosPolicy']>;
/** Worst p50/p99 queueing delay per class. The schema types `QosStats.delay_ms` as a bare object. */
export type DelayByClass = Partial<Record<Priority, { p50: number; p99: number }>>;
export type QosStats = Omit<Schemas['QosStats'], 'delay_ms'> & { delay_ms: DelayByClass };
