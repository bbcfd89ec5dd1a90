/** A cluster's API key, just created or rotated: shown once, with Copy and a dismiss button. */
export function ApiKeyNotice({ name, apiKey, onDismiss }: { name: string; apiKey: string; onDismiss: () => void }) {
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
