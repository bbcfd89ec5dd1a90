import { fmtNum } from '@/utils/format';
import type { TracingTestResult } from '../types';

/** The answer of a connection test: success, latency, where the test span went, and the error. */
export function ConnectionTestResult({ result }: { result: TracingTestResult }) {
  return (
    <div
      className={`result ${result.success ? 'result-ok' : 'result-bad'}`}
      role="status"
      data-testid="tracing-test-result"
    >
      <strong>{result.success ? 'Connection succeeded' : 'Connection failed'}</strong>
      <dl className="kv">
        <dt>Latency</dt>
        <dd>{fmtNum(result.latency_ms)} ms</dd>
        <dt>Backend / exporter</dt>
        <dd>
          {result.backend} / {result.exporter}
        </dd>
        <dt>Endpoint</dt>
        <dd>{result.endpoint}</dd>
        <dt>Test trace ID</dt>
        <dd>{result.trace_id}</dd>
        {result.error && (
          <>
            <dt>Error</dt>
            <dd className="text-error">{result.error}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
