import type { SelectHTMLAttributes } from 'react';

type Props = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'value' | 'onChange'> & {
  value: string;
  onChange: (value: string) => void;
  /** Label of the empty first option ("Choose…", "All clusters"…). */
  placeholder: string;
  options: readonly { id: number; name: string }[];
};

/** A select over named records (clusters, services), valued by id, with an empty first option. */
export function EntitySelect({ value, onChange, placeholder, options, ...rest }: Props) {
  return (
    <select {...rest} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{placeholder}</option>
      {options.map((o) => (
        <option key={o.id} value={o.id}>
          {o.name}
        </option>
      ))}
    </select>
  );
}
