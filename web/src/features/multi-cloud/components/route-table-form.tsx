import { OptionSelect } from '@/components/ui/option-select';
import { useState, type FormEvent } from 'react';
import { EntitySelect } from '@/components/ui/entity-select';
import { Checkbox, Field } from '@/components/ui/field';
import { FormCard, FormFooter } from '@/components/ui/form';
import { useFormSubmission } from '@/hooks/use-form-submission';
import type { Service } from '@/lib/api-types';
import type { RouteTableInput } from '../types';
import {
  ALGORITHMS,
  EMPTY_ROUTE,
  PROBE_PROTOCOLS,
  PROVIDERS,
  routeTableToInput,
  validateRouteTable,
  type RouteForm,
  type RouteTableForm as Form,
} from '../utils/route-table-form';

interface Props {
  initial: Form;
  services: Service[];
  title: string;
  submitLabel: string;
  onSubmit: (input: RouteTableInput) => Promise<unknown>;
  onCancel: () => void;
}

const ROUTE_KEYS = [
  'provider',
  'region',
  'endpoint',
  'weight',
  'cost_per_gb',
  'is_active',
  'priority',
  'upstream_protocol',
  'latitude',
  'longitude',
];
const TOP_KEYS = [
  'name',
  'description',
  'service_id',
  'cluster_id',
  'algorithm',
  'routes',
  'health_probe.protocol',
  'health_probe.port',
  'health_probe.path',
  'health_probe.grpc_service',
  'health_probe.interval_seconds',
  'health_probe.timeout_seconds',
  'health_probe.unhealthy_threshold',
  'health_probe.healthy_threshold',
];

export default function RouteTableForm({ initial, services, title, submitLabel, onSubmit, onCancel }: Props) {
  const [f, setF] = useState<Form>(initial);
  const { errors, setErrors, formError, busy, check, send } = useFormSubmission();
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((x) => ({ ...x, [k]: v }));
  const setRoute = <K extends keyof RouteForm>(i: number, k: K, v: RouteForm[K]) =>
    setF((x) => ({ ...x, routes: x.routes.map((r, j) => (j === i ? { ...r, [k]: v } : r)) }));

  const shown = [...TOP_KEYS, ...f.routes.flatMap((_, i) => ROUTE_KEYS.map((k) => `routes.${i}.${k}`))];
  const http = f.probe_protocol === 'http' || f.probe_protocol === 'https';

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!check(validateRouteTable(f))) return;
    const svc = services.find((s) => String(s.id) === f.service_id);
    if (!svc) {
      setErrors({ service_id: 'choose a service' });
      return;
    }
    await send(() => onSubmit(routeTableToInput(f, svc.cluster_id)));
  }

  return (
    <FormCard label={title} title={title} onSubmit={submit}>
      <div className="form-row">
        <Field id="rt-name" label="Name" error={errors.name}>
          <input value={f.name} onChange={(e) => set('name', e.target.value)} />
        </Field>
        <Field id="rt-service" label="Service" error={errors.service_id ?? errors.cluster_id}>
          <EntitySelect
            value={f.service_id}
            onChange={(v) => set('service_id', v)}
            placeholder="Choose…"
            options={services}
          />
        </Field>
        <Field id="rt-algorithm" label="Algorithm" error={errors.algorithm}>
          <OptionSelect value={f.algorithm} onChange={(v) => set('algorithm', v)} options={ALGORITHMS} />
        </Field>
      </div>
      <Field id="rt-description" label="Description" error={errors.description}>
        <input value={f.description} onChange={(e) => set('description', e.target.value)} />
      </Field>

      <fieldset>
        <legend>Endpoints</legend>
        {errors.routes && (
          <p className="field-error" role="alert">
            {errors.routes}
          </p>
        )}
        {f.routes.map((r, i) => (
          <div className="route-row" key={i} role="group" aria-label={`Endpoint ${i + 1}`}>
            <Field
              id={`rt-r${i}-provider`}
              label={`Provider (endpoint ${i + 1})`}
              error={errors[`routes.${i}.provider`]}
            >
              <OptionSelect value={r.provider} onChange={(v) => setRoute(i, 'provider', v)} options={PROVIDERS} />
            </Field>
            <Field id={`rt-r${i}-region`} label={`Region (endpoint ${i + 1})`} error={errors[`routes.${i}.region`]}>
              <input value={r.region} onChange={(e) => setRoute(i, 'region', e.target.value)} />
            </Field>
            <Field
              id={`rt-r${i}-endpoint`}
              label={`URL (endpoint ${i + 1})`}
              error={errors[`routes.${i}.endpoint`]}
              className="grow"
            >
              <input
                value={r.endpoint}
                placeholder="https://host:443"
                onChange={(e) => setRoute(i, 'endpoint', e.target.value)}
              />
            </Field>
            <Field id={`rt-r${i}-weight`} label={`Weight (endpoint ${i + 1})`} error={errors[`routes.${i}.weight`]}>
              <input inputMode="numeric" value={r.weight} onChange={(e) => setRoute(i, 'weight', e.target.value)} />
            </Field>
            <Field
              id={`rt-r${i}-cost`}
              label={`Cost $/GB (endpoint ${i + 1})`}
              error={errors[`routes.${i}.cost_per_gb`]}
            >
              <input
                inputMode="decimal"
                value={r.cost_per_gb}
                onChange={(e) => setRoute(i, 'cost_per_gb', e.target.value)}
              />
            </Field>
            <Field
              id={`rt-r${i}-priority`}
              label={`Priority (endpoint ${i + 1})`}
              error={errors[`routes.${i}.priority`]}
            >
              <input inputMode="numeric" value={r.priority} onChange={(e) => setRoute(i, 'priority', e.target.value)} />
            </Field>
            <Field
              id={`rt-r${i}-upstream-protocol`}
              label={`Protocol (endpoint ${i + 1})`}
              error={errors[`routes.${i}.upstream_protocol`]}
            >
              <select
                value={r.upstream_protocol}
                onChange={(e) => setRoute(i, 'upstream_protocol', e.target.value as RouteForm['upstream_protocol'])}
              >
                <option value="">By scheme (https: ALPN)</option>
                <option value="http1">HTTP/1.1</option>
                <option value="http2">HTTP/2</option>
              </select>
            </Field>
            <div className="field field-check">
              <input
                id={`rt-r${i}-active`}
                type="checkbox"
                checked={r.is_active}
                onChange={(e) => setRoute(i, 'is_active', e.target.checked)}
              />
              <label htmlFor={`rt-r${i}-active`}>Active</label>
            </div>
            <button
              type="button"
              className="btn btn-small btn-danger"
              disabled={f.routes.length <= 1}
              onClick={() => setF((x) => ({ ...x, routes: x.routes.filter((_, j) => j !== i) }))}
            >
              Remove endpoint {i + 1}
            </button>
          </div>
        ))}
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setF((x) => ({ ...x, routes: [...x.routes, { ...EMPTY_ROUTE }] }))}
        >
          Add endpoint
        </button>
      </fieldset>

      <fieldset>
        <legend>Health probe</legend>
        <div className="form-row">
          <Field id="rt-probe-protocol" label="Protocol" error={errors['health_probe.protocol']}>
            <OptionSelect
              value={f.probe_protocol}
              onChange={(v) => set('probe_protocol', v)}
              options={PROBE_PROTOCOLS}
            />
          </Field>
          <Field id="rt-probe-port" label="Port" error={errors['health_probe.port']} hint="Empty = the endpoint's port">
            <input inputMode="numeric" value={f.probe_port} onChange={(e) => set('probe_port', e.target.value)} />
          </Field>
          {http && (
            <Field id="rt-probe-path" label="Path" error={errors['health_probe.path']} hint="Default /health">
              <input value={f.probe_path} onChange={(e) => set('probe_path', e.target.value)} />
            </Field>
          )}
          {f.probe_protocol === 'grpc' && (
            <Field
              id="rt-probe-grpc-service"
              label="gRPC service"
              error={errors['health_probe.grpc_service']}
              hint="Service name asked in grpc.health.v1 Health/Check; empty checks the whole server"
            >
              <input value={f.grpc_service} onChange={(e) => set('grpc_service', e.target.value)} />
            </Field>
          )}
          <Field id="rt-probe-interval" label="Interval (s)" error={errors['health_probe.interval_seconds']}>
            <input
              inputMode="numeric"
              value={f.interval_seconds}
              onChange={(e) => set('interval_seconds', e.target.value)}
            />
          </Field>
          <Field id="rt-probe-timeout" label="Timeout (s)" error={errors['health_probe.timeout_seconds']}>
            <input
              inputMode="numeric"
              value={f.timeout_seconds}
              onChange={(e) => set('timeout_seconds', e.target.value)}
            />
          </Field>
          <Field id="rt-probe-unhealthy" label="Unhealthy threshold" error={errors['health_probe.unhealthy_threshold']}>
            <input
              inputMode="numeric"
              value={f.unhealthy_threshold}
              onChange={(e) => set('unhealthy_threshold', e.target.value)}
            />
          </Field>
          <Field id="rt-probe-healthy" label="Healthy threshold" error={errors['health_probe.healthy_threshold']}>
            <input
              inputMode="numeric"
              value={f.healthy_threshold}
              onChange={(e) => set('healthy_threshold', e.target.value)}
            />
          </Field>
        </div>
      </fieldset>
      <Checkbox
        id="rt-failover"
        label="Automatic failover"
        checked={f.enable_auto_failover}
        onChange={(v) => set('enable_auto_failover', v)}
      />
      <Checkbox id="rt-enabled" label="Enabled" checked={f.enabled} onChange={(v) => set('enabled', v)} />
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
