import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, signIn } from '@/testing/mock-api';
import { renderWithClient } from '@/testing/query';
import { span, T } from '../utils/test-spans';
import { TraceView } from './trace-view';

describe('TraceView', () => {
  it('renders the waterfall and span details from /traces/{id}', async () => {
    signIn();
    mockApi({
      [`GET /api/v1/observability/traces/${T}`]: () => ({
        body: { trace_id: T, spans: [span('a', null, 0, 100), span('b', 'a', 10, 20, 'error')] },
      }),
    });
    const user = userEvent.setup();
    renderWithClient(<TraceView traceId={T} onClose={() => undefined} />);
    const wf = await screen.findByTestId('waterfall');
    const rows = within(wf).getAllByRole('button');
    expect(rows).toHaveLength(2);
    await user.click(within(wf).getByRole('button', { name: /backend op-b/ }));
    expect(screen.getByText('http.status_code')).toBeInTheDocument();
    expect(screen.getByText('error')).toBeInTheDocument();
  });
});
