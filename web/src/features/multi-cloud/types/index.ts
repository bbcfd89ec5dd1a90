import type { Complete, Schemas } from '@/lib/api-types';

export type CloudProvider = Schemas['CloudProvider'];
export type RoutingAlgorithm = Schemas['RoutingAlgorithm'];
export type ProbeProtocol = Schemas['ProbeProtocol'];
export type UpstreamProtocol = Schemas['UpstreamProtocol'];
export type RouteTableInput = Schemas['RouteTableSpec'];
export type RouteTable = Complete<Schemas['RouteTable']>;
export type EndpointHealth = Schemas['EndpointHealthView'];
export type FailoverRequest = Schemas['FailoverRequest'];
export type FailoverResult = Schemas['FailoverResult'];
export type FailoverDrill = Schemas['FailoverDrill'];
export type CostReport = Schemas['CostReport'];
