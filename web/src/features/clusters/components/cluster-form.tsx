import { useState, type FormEvent } from 'react';
import { Field } from '@/components/ui/field';
import { FormCard, FormFooter } from '@/components/ui/form';
import { useFormSubmission } from '@/hooks/use-form-submission';
import type { ClusterCreated, ClusterInput } from '../types';

export function validateCluster(name: string, description: string): Record<string, string> {
  const e: Record<string, string> = {};
  if (!name.trim()) e.name = 'must not be empty';
  else if (name.trim().length > 100) e.name = 'must be at most 100 characters';
  if (description.length > 2000) e.description = 'must be at most 2000 characters';
  return e;
}

/** The create form of the Clusters page; `onCreated` gets the new cluster with its API key. */
export function ClusterForm({
  create,
  onCreated,
}: {
  create: (input: ClusterInput) => Promise<ClusterCreated>;
  onCreated: (cluster: ClusterCreated) => void;
}) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const { errors, formError, busy, check, send } = useFormSubmission();

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!check(validateCluster(name, description))) return;
    await send(async () => {
      const c = await create({ name: name.trim(), description: description.trim() || null });
      onCreated(c);
      setName('');
      setDescription('');
    });
  }

  return (
    <FormCard label="Create cluster" title="New cluster" onSubmit={onSubmit}>
      <div className="form-row">
        <Field id="cluster-name" label="Name" error={errors.name}>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="cluster-description" label="Description" error={errors.description}>
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
      </div>
      <FormFooter
        errors={errors}
        shown={['name', 'description']}
        formError={formError}
        busy={busy}
        submitLabel="Create cluster"
        busyLabel="Creating…"
      />
    </FormCard>
  );
}
