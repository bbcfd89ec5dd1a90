import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useOwnerFilter } from '@/components/resource-page/owner-filter';

const select = { id: 'f', label: 'Filter by cluster', placeholder: 'All clusters' };

describe('useOwnerFilter', () => {
  it('filters by the chosen owner and names owners for the table', () => {
    const owners = [
      { id: 1, name: 'default' },
      { id: 2, name: 'edge' },
    ];
    const { result } = renderHook(() => useOwnerFilter(owners, select));
    expect(result.current.selected).toBeUndefined();
    expect(result.current.filter).toMatchObject({ ...select, value: '', options: owners });
    act(() => result.current.filter.onChange('2'));
    expect(result.current.selected).toBe(2);
    expect(result.current.filter.value).toBe('2');
    expect(result.current.nameOf(2)).toBe('edge');
    expect(result.current.nameOf(9)).toBe('#9');
    act(() => result.current.filter.onChange(''));
    expect(result.current.selected).toBeUndefined();
  });

  it('has no options while the owners load', () => {
    const { result } = renderHook(() => useOwnerFilter(undefined, select));
    expect(result.current.filter.options).toEqual([]);
    expect(result.current.nameOf(1)).toBe('#1');
  });
});
