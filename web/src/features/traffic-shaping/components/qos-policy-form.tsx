import { OptionSelect } from '@/components/ui/option-select';
import { useState, type FormEvent } from 'react';
import { EntitySelect } from '@/components/ui/entity-select';
import { Checkbox, Field } from '@/components/ui/field';
import { FormCard, FormFooter } from '@/components/ui/form';
import { useFormSubmission } from '@/hooks/use-form-submission';
import type { Service } from '@/lib/api-types';
import type { BandwidthScope, QosPolicyInput } from '../types';
import { DSCP_VALUES, PRIORITIES, qosToInput, validateQos, type QosForm } from '../utils/qos-form';

const SHOWN = [
  'name',
  'description',
  'service_id',
  'cluster_id',
  'bandwidth.ingress_mbps',
  'bandwidth.egress_mbps',
  'bandwidth.burst_size_kb',
  'bandwidth.scope',
  'priority_config.priority',
  'priority_config.weight',
  'priority_config.max_latency_ms',
  'priority_config.dscp_marking',
];

interface Props {
  initial: QosForm;
  services: Service[];
  title: string;
  submitLabel: string;
  onSubmit: (input: QosPolicyInput) => Promise<unknown>;
  onCancel: () => void;
}

export default function QosPolicyForm({ initial, services, title, submitLabel, onSubmit, onCancel }: Props) {
  const [f, setF] = useState<QosForm>(initial);
  const { errors, setErrors, formError, busy, check, send } = useFormSubmission();
  const set = <K extends keyof QosForm>(k: K, v: QosForm[K]) => setF((x) => ({ ...x, [k]: v }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!check(validateQos(f))) return;
    const svc = services.find((s) => String(s.id) === f.service_id);
    if (!svc) {
      setErrors({ service_id: 'choose a service' });
      return;
    }
    await send(() => onSubmit(qosToInput(f, svc.cluster_id)));
  }

  return (
    <FormCard label={title} title={title} onSubmit={submit}>
      <div className="form-row">
        <Field id="qos-name" label="Name" error={errors.name}>
          <input value={f.name} onChange={(e) => set('name', e.target.value)} />
        </Field>
        <Field id="qos-service" label="Service" error={errors.service_id ?? errors.cluster_id}>
          <EntitySelect
            value={f.service_id}
            onChange={(v) => set('service_id', v)}
            placeholder="Choose…"
            options={services}
          />
        </Field>
        <Field id="qos-description" label="Description" error={errors.description}>
          <input value={f.description} onChange={(e) => set('description', e.target.value)} />
        </Field>
      </div>
      <fieldset>
        <legend>Bandwidth</legend>
        <div className="form-row">
          <Field
            id="qos-ingress"
            label="Ingress limit (Mbps)"
            error={errors['bandwidth.ingress_mbps']}
            hint="1–100000, empty = unlimited"
          >
            <input inputMode="numeric" value={f.ingress_mbps} onChange={(e) => set('ingress_mbps', e.target.value)} />
          </Field>
          <Field
            id="qos-egress"
            label="Egress limit (Mbps)"
            error={errors['bandwidth.egress_mbps']}
            hint="1–100000, empty = unlimited"
          >
            <input inputMode="numeric" value={f.egress_mbps} onChange={(e) => set('egress_mbps', e.target.value)} />
          </Field>
          <Field id="qos-burst" label="Burst size (KB)" error={errors['bandwidth.burst_size_kb']} hint="1–10240">
            <input inputMode="numeric" value={f.burst_size_kb} onChange={(e) => set('burst_size_kb', e.target.value)} />
          </Field>
          <Field
            id="qos-scope"
            label="Limit scope"
            error={errors['bandwidth.scope']}
            hint={
              f.scope === 'cluster'
                ? 'The limits hold for the service across all proxies of the cluster'
                : 'N proxies pass up to N × the limits'
            }
          >
            <select value={f.scope} onChange={(e) => set('scope', e.target.value as BandwidthScope)}>
              <option value="cluster">Cluster — shared by all proxies</option>
              <option value="proxy">Per proxy — each proxy enforces the full limit</option>
            </select>
          </Field>
        </div>
      </fieldset>
      <fieldset>
        <legend>Priority</legend>
        <div className="form-row">
          <Field id="qos-priority" label="Priority class" error={errors['priority_config.priority']}>
            <OptionSelect value={f.priority} onChange={(v) => set('priority', v)} options={PRIORITIES} />
          </Field>
          <Field id="qos-weight" label="Weight" error={errors['priority_config.weight']} hint="1–100">
            <input inputMode="numeric" value={f.weight} onChange={(e) => set('weight', e.target.value)} />
          </Field>
          <Field
            id="qos-latency"
            label="Max latency (ms)"
            error={errors['priority_config.max_latency_ms']}
            hint="Optional SLA target"
          >
            <input
              inputMode="numeric"
              value={f.max_latency_ms}
              onChange={(e) => set('max_latency_ms', e.target.value)}
            />
          </Field>
          <Field id="qos-dscp" label="DSCP marking" error={errors['priority_config.dscp_marking']}>
            <OptionSelect value={f.dscp_marking} onChange={(v) => set('dscp_marking', v)} options={DSCP_VALUES} />
          </Field>
        </div>
      </fieldset>
      <Checkbox id="qos-enabled" label="Enabled" checked={f.enabled} onChange={(v) => set('enabled', v)} />
      <FormFooter
        errors={errors}
        shown={SHOWN}
        formError={formError}
        busy={busy}
        submitLabel={submitLabel}
        onCancel={onCancel}
      />
    </FormCard>
  );
}
