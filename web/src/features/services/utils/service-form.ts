// The service form: its fields as typed, validation mirroring the API's rules, and the API body.
import type { ServiceInput, ServiceProtocol } from '../types';

export interface ServiceForm {
  name: string;
  description: string;
  cluster_id: string;
  hostnames: string;
  path_prefix: string;
  protocol: ServiceProtocol;
  listen_port: string;
  enabled: boolean;
}

export const EMPTY_SERVICE: ServiceForm = {
  name: '',
  description: '',
  cluster_id: '',
  hostnames: '',
  path_prefix: '/',
  protocol: 'http',
  listen_port: '',
  enabled: true,
};

const HOST_RE =
  /^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function splitList(s: string): string[] {
  return s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

export function validateService(f: ServiceForm): Record<string, string> {
  const e: Record<string, string> = {};
  if (!f.name.trim()) e.name = 'must not be empty';
  else if (f.name.trim().length > 100) e.name = 'must be at most 100 characters';
  if (!f.cluster_id) e.cluster_id = 'choose a cluster';
  const hosts = splitList(f.hostnames);
  const bad = hosts.find((h) => !HOST_RE.test(h));
  if (bad) e.hostnames = `“${bad}” is not a valid hostname`;
  if (f.protocol !== 'tcp' && !f.path_prefix.startsWith('/')) e.path_prefix = 'must start with /';
  if (f.listen_port !== '') {
    const p = Number(f.listen_port);
    if (!Number.isInteger(p) || p < 1 || p > 65535) e.listen_port = 'must be between 1 and 65535';
  } else if (f.protocol === 'tcp') {
    e.listen_port = 'is required for tcp services';
  }
  return e;
}

export function toServiceInput(f: ServiceForm): ServiceInput {
  return {
    name: f.name.trim(),
    description: f.description.trim() || null,
    cluster_id: Number(f.cluster_id),
    hostnames: splitList(f.hostnames),
    path_prefix: f.path_prefix || '/',
    protocol: f.protocol,
    listen_port: f.listen_port === '' ? null : Number(f.listen_port),
    enabled: f.enabled,
  };
}
