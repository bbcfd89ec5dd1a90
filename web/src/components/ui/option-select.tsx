import type { SelectHTMLAttributes } from 'react';

type Props<T extends string> = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'value' | 'onChange'> & {
  value: T;
  onChange: (value: T) => void;
  /** The choices, each shown as it is sent (an enum of the API: priorities, algorithms…). */
  options: readonly T[];
};

/** A select over a fixed list of string values, each its own label. */
export function OptionSelect<T extends string>({ value, onChange, options, ...rest }: Props<T>) {
  return (
    <select {...rest} value={value} onChange={(e) => onChange(e.target.value as T)}>
      {options.map((o) => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
}
