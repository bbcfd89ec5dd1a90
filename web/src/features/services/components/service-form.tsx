import { useState, type FormEvent } from 'react';
import { Checkbox, Field } from '@/components/ui/field';
import { EntitySelect } from '@/components/ui/entity-select';
import { FormCard, FormFooter } from '@/components/ui/form';
import { useFormSubmission } from '@/hooks/use-form-submission';
import type { Cluster } from '@/lib/api-types';
import type { ServiceInput, ServiceProtocol } from '../types';
import { EMPTY_SERVICE, toServiceInput, validateService, type ServiceForm as Form } from '../utils/service-form';

/** The create form of the Services page; after a create it keeps the chosen cluster. */
export function ServiceForm({
  clusters,
  create,
}: {
  /** undefined while loading. */
  clusters: Cluster[] | undefined;
  create: (input: ServiceInput) => Promise<unknown>;
}) {
  const [form, setForm] = useState<Form>(EMPTY_SERVICE);
  const { errors, formError, busy, check, send } = useFormSubmission();
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!check(validateService(form))) return;
    await send(async () => {
      await create(toServiceInput(form));
      setForm({ ...EMPTY_SERVICE, cluster_id: form.cluster_id });
    });
  }

  return (
    <FormCard label="Create service" title="New service" onSubmit={onSubmit}>
      {clusters?.length === 0 && <p className="muted">Create a cluster first.</p>}
      <div className="form-row">
        <Field id="svc-name" label="Name" error={errors.name}>
          <input value={form.name} onChange={(e) => set('name', e.target.value)} />
        </Field>
        <Field id="svc-cluster" label="Cluster" error={errors.cluster_id}>
          <EntitySelect
            value={form.cluster_id}
            onChange={(v) => set('cluster_id', v)}
            placeholder="Choose…"
            options={clusters ?? []}
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
          <input inputMode="numeric" value={form.listen_port} onChange={(e) => set('listen_port', e.target.value)} />
        </Field>
      </div>
      <Field id="svc-description" label="Description" error={errors.description}>
        <input value={form.description} onChange={(e) => set('description', e.target.value)} />
      </Field>
      <Checkbox id="svc-enabled" label="Enabled" checked={form.enabled} onChange={(v) => set('enabled', v)} />
      <FormFooter
        errors={errors}
        shown={['name', 'cluster_id', 'protocol', 'hostnames', 'path_prefix', 'listen_port', 'description']}
        formError={formError}
        busy={busy}
        submitLabel="Create service"
        busyLabel="Creating…"
      />
    </FormCard>
  );
}
