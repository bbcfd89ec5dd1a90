import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, signIn } from '@/testing/mock-api';
import { renderWithClient } from '@/testing/query';
import { span } from '../utils/test-spans';
import { SpanSearch } from './span-search';

describe('SpanSearch', () => {
  it('shows the source of each span and warns about backends that failed', async () => {
    signIn();
    const { calls } = mockApi({
      'GET /api/v1/observability/spans/search': () => ({
        body: {
          total: 2,
          spans: [span('a', null, 0, 100), { ...span('b', 'a', 10, 20), source: 'jaeger:prod-jaeger' }],
          errors: [{ source: 'zipkin:legacy', error: 'connection refused' }],
        },
      }),
    });
    const user = userEvent.setup();
    renderWithClient(<SpanSearch onOpenTrace={() => undefined} />);
    await user.type(screen.getByLabelText('Service'), 'edge');
    await user.click(screen.getByRole('button', { name: 'Search spans' }));
    const warning = await screen.findByTestId('span-backend-errors');
    expect(warning).toHaveAttribute('role', 'alert');
    expect(warning).toHaveTextContent('A tracing backend could not be queried');
    expect(warning).toHaveTextContent('zipkin:legacy');
    expect(warning).toHaveTextContent('connection refused');
    const table = screen.getByTestId('span-results');
    const badges = within(table).getAllByTestId('span-source');
    expect(badges.map((b) => b.textContent)).toEqual(['local', 'jaeger:prod-jaeger']);
    expect(badges[1]).toHaveClass('badge-source-jaeger');
    expect(badges[1]).toHaveAttribute('title', 'jaeger backend of tracing config “prod-jaeger”');
    expect(calls.at(-1)?.params).toMatchObject({ service: 'edge' });
  });

  it('keeps the backend warning visible when no span matched', async () => {
    signIn();
    mockApi({
      'GET /api/v1/observability/spans/search': () => ({
        body: {
          total: 0,
          spans: [],
          errors: [
            { source: 'jaeger:a', error: 'timeout' },
            { source: 'zipkin:b', error: 'HTTP 500' },
          ],
        },
      }),
    });
    const user = userEvent.setup();
    renderWithClient(<SpanSearch onOpenTrace={() => undefined} />);
    await user.click(screen.getByRole('button', { name: 'Search spans' }));
    const warning = await screen.findByTestId('span-backend-errors');
    expect(warning).toHaveTextContent('2 tracing backends could not be queried');
    expect(within(warning).getAllByRole('listitem')).toHaveLength(2);
    expect(screen.getByText('No spans match')).toBeInTheDocument();
  });
});
