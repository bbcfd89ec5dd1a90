import { useState, type FormEvent } from 'react';
import { Field, OtherErrors } from '@/components/ui/field';
import { AsyncList, InlineError } from '@/components/ui/states';
import { fmtTime } from '@/utils/format';
import { useAuth } from '@/lib/auth';
import { useClusterMutations, useClusters } from '../api/clusters';
import { useFormSubmission } from '@/hooks/use-form-submission';

export function validateCluster(name: string, description: string): Record<string, string> {
  const e: Record<string, string> = {};
  if (!name.trim()) e.name = 'must not be empty';
  else if (name.trim().length > 100) e.name = 'must be at most 100 characters';
  if (description.length > 2000) e.description = 'must be at most 2000 characters';
  return e;
}

function ApiKeyNotice({ name, apiKey, onDismiss }: { name: string; apiKey: string; onDismiss: () => void }) {
  return (
    <div className="notice card" role="status" data-testid="api-key-notice">
      <strong>API key for cluster “{name}”</strong>
      <p>Copy it now: it is shown only once. Proxies use it to register with the control plane.</p>
      <code className="secret" data-testid="api-key">
        {apiKey}
      </code>
      <div className="actions">
        <button
          type="button"
          className="btn"
          onClick={() => navigator.clipboard?.writeText(apiKey).catch(() => undefined)}
        >
          Copy
        </button>
        <button type="button" className="btn" onClick={onDismiss}>
          I have saved it
        </button>
      </div>
    </div>
  );
}

export default function Clusters() {
  const clusters = useClusters();
  const mutations = useClusterMutations();
  const { isAdmin } = useAuth();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const { errors, formError, busy, check, send } = useFormSubmission();
  const [shownKey, setShownKey] = useState<{ name: string; apiKey: string } | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!check(validateCluster(name, description))) return;
    await send(async () => {
      const c = await mutations.create({ name: name.trim(), description: description.trim() || null });
      setShownKey({ name: c.name, apiKey: c.api_key });
      setName('');
      setDescription('');
    });
  }

  async function act(fn: () => Promise<unknown>) {
    setActionError(null);
    try {
      await fn();
    } catch (err) {
      setActionError(err);
    }
  }

  return (
    <section aria-labelledby="clusters-title">
      <h1 id="clusters-title">Clusters</h1>
      {shownKey && <ApiKeyNotice {...shownKey} onDismiss={() => setShownKey(null)} />}
      {isAdmin && (
        <form className="card form" onSubmit={onSubmit} aria-label="Create cluster" noValidate>
          <h2>New cluster</h2>
          <div className="form-row">
            <Field id="cluster-name" label="Name" error={errors.name}>
              <input value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field id="cluster-description" label="Description" error={errors.description}>
              <input value={description} onChange={(e) => setDescription(e.target.value)} />
            </Field>
          </div>
          <OtherErrors errors={errors} shown={['name', 'description']} />
          <InlineError error={formError} />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create cluster'}
          </button>
        </form>
      )}
      <InlineError error={actionError} />
      <AsyncList
        items={clusters.data?.items}
        error={clusters.error}
        onRetry={() => void clusters.refetch()}
        emptyTitle="No clusters"
        empty="Create the first cluster with the form above."
      >
        {(items) => (
          <table className="table" aria-label="Clusters">
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Created</th>
                {isAdmin && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>{c.id}</td>
                  <td>{c.name}</td>
                  <td>{c.description || '—'}</td>
                  <td>{fmtTime(c.created_at)}</td>
                  {isAdmin && (
                    <td className="row-actions">
                      <button
                        type="button"
                        className="btn btn-small"
                        onClick={() =>
                          act(async () => {
                            if (
                              !window.confirm(
                                `Rotate the API key of cluster “${c.name}”? Proxies using the old key must be updated.`,
                              )
                            )
                              return;
                            const r = await mutations.rotateKey(c.id);
                            setShownKey({ name: c.name, apiKey: r.api_key });
                          })
                        }
                      >
                        Rotate key
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() =>
                          act(async () => {
                            if (window.confirm(`Delete cluster “${c.name}”?`)) await mutations.remove(c.id);
                          })
                        }
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
