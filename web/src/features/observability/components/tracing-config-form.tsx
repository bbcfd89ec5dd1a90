import { OptionSelect } from '@/components/ui/option-select';
import { useState, type FormEvent } from 'react';
import { EntitySelect } from '@/components/ui/entity-select';
import { Checkbox, Field } from '@/components/ui/field';
import { FormCard, FormFooter } from '@/components/ui/form';
import { useFormSubmission } from '@/hooks/use-form-submission';
import type { Cluster } from '@/lib/api-types';
import type { TracingConfigInput } from '../types';
import {
  BACKENDS,
  EXPORTERS,
  STRATEGIES,
  tracingToInput,
  validateTracing,
  type TracingForm,
} from '../utils/tracing-form';

const SHOWN = [
  'name',
  'description',
  'cluster_id',
  'backend',
  'endpoint',
  'exporter',
  'sampling_strategy',
  'sampling_rate',
  'max_traces_per_second',
  'max_attribute_length',
  'service_name',
  'custom_tags',
  'query_url',
];

interface Props {
  initial: TracingForm;
  clusters: Cluster[];
  title: string;
  submitLabel: string;
  onSubmit: (input: TracingConfigInput) => Promise<unknown>;
  onCancel: () => void;
}

export default function TracingConfigForm({ initial, clusters, title, submitLabel, onSubmit, onCancel }: Props) {
  const [f, setF] = useState<TracingForm>(initial);
  const { errors, formError, busy, check, send } = useFormSubmission();
  const set = <K extends keyof TracingForm>(k: K, v: TracingForm[K]) => setF((x) => ({ ...x, [k]: v }));

  // Tag errors come back keyed per tag (custom_tags.<name>): show them on the tags field.
  const tagError = errors.custom_tags ?? Object.entries(errors).find(([k]) => k.startsWith('custom_tags.'))?.[1];
  const shown = [...SHOWN, ...Object.keys(errors).filter((k) => k.startsWith('custom_tags.'))];

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!check(validateTracing(f))) return;
    await send(() => onSubmit(tracingToInput(f)));
  }

  return (
    <FormCard label={title} title={title} onSubmit={submit}>
      <div className="form-row">
        <Field id="tr-name" label="Name" error={errors.name}>
          <input value={f.name} onChange={(e) => set('name', e.target.value)} />
        </Field>
        <Field id="tr-cluster" label="Cluster" error={errors.cluster_id}>
          <EntitySelect
            value={f.cluster_id}
            onChange={(v) => set('cluster_id', v)}
            placeholder="Choose…"
            options={clusters}
          />
        </Field>
        <Field id="tr-service-name" label="Service name in spans" error={errors.service_name}>
          <input value={f.service_name} onChange={(e) => set('service_name', e.target.value)} />
        </Field>
      </div>
      <Field id="tr-description" label="Description" error={errors.description}>
        <input value={f.description} onChange={(e) => set('description', e.target.value)} />
      </Field>
      <fieldset>
        <legend>Backend</legend>
        <div className="form-row">
          <Field id="tr-backend" label="Backend" error={errors.backend}>
            <OptionSelect value={f.backend} onChange={(v) => set('backend', v)} options={BACKENDS} />
          </Field>
          <Field id="tr-exporter" label="Exporter" error={errors.exporter}>
            <OptionSelect value={f.exporter} onChange={(v) => set('exporter', v)} options={EXPORTERS} />
          </Field>
          <Field
            id="tr-endpoint"
            label="Collector endpoint"
            error={errors.endpoint}
            className="grow"
            hint="e.g. http://jaeger:4318"
          >
            <input value={f.endpoint} onChange={(e) => set('endpoint', e.target.value)} />
          </Field>
          <Field
            id="tr-query-url"
            label="Query URL (for span search)"
            error={errors.query_url}
            hint="Optional, e.g. http://jaeger:16686"
          >
            <input value={f.query_url} onChange={(e) => set('query_url', e.target.value)} />
          </Field>
        </div>
      </fieldset>
      <fieldset>
        <legend>Sampling</legend>
        <div className="form-row">
          <Field id="tr-strategy" label="Strategy" error={errors.sampling_strategy}>
            <OptionSelect
              value={f.sampling_strategy}
              onChange={(v) => set('sampling_strategy', v)}
              options={STRATEGIES}
            />
          </Field>
          <Field id="tr-rate" label="Sampling rate" error={errors.sampling_rate} hint="0–1">
            <input inputMode="decimal" value={f.sampling_rate} onChange={(e) => set('sampling_rate', e.target.value)} />
          </Field>
          <Field
            id="tr-tps"
            label="Max traces per second"
            error={errors.max_traces_per_second}
            hint="1–100000; required for rate_limit"
          >
            <input
              inputMode="numeric"
              value={f.max_traces_per_second}
              onChange={(e) => set('max_traces_per_second', e.target.value)}
            />
          </Field>
        </div>
      </fieldset>
      <fieldset>
        <legend>Captured data</legend>
        <div className="form-row">
          <Checkbox
            id="tr-req-headers"
            label="Request headers"
            checked={f.include_request_headers}
            onChange={(v) => set('include_request_headers', v)}
          />
          <Checkbox
            id="tr-resp-headers"
            label="Response headers"
            checked={f.include_response_headers}
            onChange={(v) => set('include_response_headers', v)}
          />
          <Checkbox
            id="tr-req-body"
            label="Request body"
            checked={f.include_request_body}
            onChange={(v) => set('include_request_body', v)}
          />
          <Checkbox
            id="tr-resp-body"
            label="Response body"
            checked={f.include_response_body}
            onChange={(v) => set('include_response_body', v)}
          />
        </div>
        <div className="form-row">
          <Field id="tr-max-attr" label="Max attribute length" error={errors.max_attribute_length} hint="16–65536">
            <input
              inputMode="numeric"
              value={f.max_attribute_length}
              onChange={(e) => set('max_attribute_length', e.target.value)}
            />
          </Field>
          <Field id="tr-tags" label="Custom tags" error={tagError} hint="key=value, comma-separated" className="grow">
            <input value={f.custom_tags} onChange={(e) => set('custom_tags', e.target.value)} />
          </Field>
        </div>
      </fieldset>
      <Checkbox id="tr-enabled" label="Enabled" checked={f.enabled} onChange={(v) => set('enabled', v)} />
      <FormFooter
        errors={errors}
        shown={shown}
        formError={formError}
        busy={busy}
        submitLabel={submitLabel}
        onCancel={onCancel}
      />
    </FormCard>
  );
}
