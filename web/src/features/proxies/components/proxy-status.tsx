/** The proxy's liveness as a badge. */
export function ProxyStatus({ status }: { status: string }) {
  return <span className={`badge ${status === 'online' ? 'badge-ok' : 'badge-bad'}`}>{status}</span>;
}
