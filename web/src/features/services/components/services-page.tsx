import { useState, type FormEvent } from 'react';
import { Checkbox, Field, OtherErrors } from '@/components/ui/field';
import { EntitySelect } from '@/components/ui/entity-select';
import { AsyncList, InlineError } from '@/components/ui/states';
import { useAuth } from '@/lib/auth';
import { useClusters } from '@/features/clusters/api/clusters';
import { useServiceMutations, useServices } from '../api/services';
import { useFormSubmission } from '@/hooks/use-form-submission';
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

const EMPTY: ServiceForm = {
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

export default function Services() {
  const { isAdmin } = useAuth();
  const clusters = useClusters();
  const [filter, setFilter] = useState<string>('');
  const services = useServices(filter ? Number(filter) : undefined);
  const mutations = useServiceMutations();
  const [form, setForm] = useState<ServiceForm>(EMPTY);
  const { errors, formError, busy, check, send } = useFormSubmission();
  const [actionError, setActionError] = useState<unknown>(null);
  const clusterName = (id: number) => clusters.data?.items.find((c) => c.id === id)?.name ?? `#${id}`;
  const set = <K extends keyof ServiceForm>(k: K, v: ServiceForm[K]) => setForm((f) => ({ ...f, [k]: v }));

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!check(validateService(form))) return;
    await send(async () => {
      await mutations.create(toServiceInput(form));
      setForm({ ...EMPTY, cluster_id: form.cluster_id });
    });
  }

  const noClusters = clusters.data && clusters.data.items.length === 0;

  return (
    <section aria-labelledby="services-title">
      <h1 id="services-title">Services</h1>
      {isAdmin && (
        <form className="card form" onSubmit={onSubmit} aria-label="Create service" noValidate>
          <h2>New service</h2>
          {noClusters && <p className="muted">Create a cluster first.</p>}
          <div className="form-row">
            <Field id="svc-name" label="Name" error={errors.name}>
              <input value={form.name} onChange={(e) => set('name', e.target.value)} />
            </Field>
            <Field id="svc-cluster" label="Cluster" error={errors.cluster_id}>
              <EntitySelect
                value={form.cluster_id}
                onChange={(v) => set('cluster_id', v)}
                placeholder="Choose…"
                options={clusters.data?.items ?? []}
              />
            </Field>
            <Field id="svc-protocol" label="Protocol" error={errors.protocol}>
              <select value={form.protocol} onChange={(e) => set('protocol', e.target.value as ServiceProtocol)}>
                <option value="http">http</option>
                <option value="https">https</option>
                <option value="tcp">tcp</option>
              </select>
            </Field>
          </div>
          <div className="form-row">
            <Field
              id="svc-hostnames"
              label="Hostnames"
              error={errors.hostnames}
              hint="Comma-separated, e.g. api.example.com"
            >
              <input value={form.hostnames} onChange={(e) => set('hostnames', e.target.value)} />
            </Field>
            <Field id="svc-path" label="Path prefix" error={errors.path_prefix}>
              <input value={form.path_prefix} onChange={(e) => set('path_prefix', e.target.value)} />
            </Field>
            <Field id="svc-port" label="Listen port" error={errors.listen_port} hint="Optional; required for tcp">
              <input
                inputMode="numeric"
                value={form.listen_port}
                onChange={(e) => set('listen_port', e.target.value)}
              />
            </Field>
          </div>
          <Field id="svc-description" label="Description" error={errors.description}>
            <input value={form.description} onChange={(e) => set('description', e.target.value)} />
          </Field>
          <Checkbox id="svc-enabled" label="Enabled" checked={form.enabled} onChange={(v) => set('enabled', v)} />
          <OtherErrors
            errors={errors}
            shown={['name', 'cluster_id', 'protocol', 'hostnames', 'path_prefix', 'listen_port', 'description']}
          />
          <InlineError error={formError} />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create service'}
          </button>
        </form>
      )}
      <div className="toolbar">
        <label htmlFor="svc-filter">Filter by cluster</label>
        <EntitySelect
          id="svc-filter"
          value={filter}
          onChange={setFilter}
          placeholder="All clusters"
          options={clusters.data?.items ?? []}
        />
      </div>
      <InlineError error={actionError} />
      <AsyncList
        items={services.data?.items}
        error={services.error}
        onRetry={() => void services.refetch()}
        emptyTitle="No services"
        empty="Services describe the traffic a cluster's proxies accept."
      >
        {(items) => (
          <table className="table" aria-label="Services">
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Name</th>
                <th scope="col">Cluster</th>
                <th scope="col">Protocol</th>
                <th scope="col">Hostnames</th>
                <th scope="col">Path</th>
                <th scope="col">Port</th>
                <th scope="col">Enabled</th>
                {isAdmin && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id}>
                  <td>{s.id}</td>
                  <td>{s.name}</td>
                  <td>{clusterName(s.cluster_id)}</td>
                  <td>{s.protocol}</td>
                  <td>{s.hostnames.join(', ') || '—'}</td>
                  <td>{s.path_prefix}</td>
                  <td>{s.listen_port ?? '—'}</td>
                  <td>{s.enabled ? 'yes' : 'no'}</td>
                  {isAdmin && (
                    <td className="row-actions">
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={async () => {
                          if (!window.confirm(`Delete service “${s.name}”?`)) return;
                          setActionError(null);
                          try {
                            await mutations.remove(s.id);
                          } catch (err) {
                            setActionError(err);
                          }
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </AsyncList>
    </section>
  );
}
