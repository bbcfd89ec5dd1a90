import { useState } from 'react';
import type { ListFilter } from '@/components/resource-page/resource-page';

type Owner = { id: number; name: string };

/**
 * A list filtered by its records' owner (a cluster or a service): the filter select's state for
 * `ResourcePage`, the chosen owner's id for the list query (undefined: all), and owner names for the
 * table (`#id` for an owner not in `owners`). `owners` is undefined while they load.
 */
export function useOwnerFilter(
  owners: readonly Owner[] | undefined,
  select: Pick<ListFilter, 'id' | 'label' | 'placeholder'>,
): { selected: number | undefined; filter: ListFilter; nameOf: (id: number) => string } {
  const [value, setValue] = useState('');
  return {
    selected: value ? Number(value) : undefined,
    filter: { ...select, value, onChange: setValue, options: owners ?? [] },
    nameOf: (id) => owners?.find((o) => o.id === id)?.name ?? `#${id}`,
  };
}
