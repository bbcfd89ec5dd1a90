import { PRICING_URL } from '@/config/links';

/** Any error coming back from the control-plane API. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: unknown;
  readonly retryAfter: number | null;

  constructor(status: number, message: string, detail?: unknown, retryAfter: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.retryAfter = retryAfter;
  }
}

/** 403 because the feature needs an Enterprise license. */
export class LicenseError extends ApiError {
  readonly feature: string;
  readonly upgradeUrl: string;

  constructor(feature: string, message: string, upgradeUrl: string = PRICING_URL, detail?: unknown) {
    super(403, message, detail);
    this.name = 'LicenseError';
    this.feature = feature;
    this.upgradeUrl = upgradeUrl;
  }
}

export interface FieldErrorItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/**
 * 422 (invalid input) or 409 (input naming an object that does not exist or belongs to
 * another cluster) with FastAPI-style field errors; `fieldErrors` is keyed by dotted path
 * without the `body` prefix.
 */
export class ValidationError extends ApiError {
  readonly errors: FieldErrorItem[];
  readonly fieldErrors: Record<string, string>;

  constructor(errors: FieldErrorItem[], status = 422) {
    const fieldErrors: Record<string, string> = {};
    for (const e of errors) {
      const key = locToPath(e.loc);
      fieldErrors[key] = fieldErrors[key] ? `${fieldErrors[key]}; ${e.msg}` : e.msg;
    }
    const summary = errors.map((e) => `${locToPath(e.loc)}: ${e.msg}`).join('; ');
    super(status, summary ? `Invalid input — ${summary}` : 'Invalid input', errors);
    this.name = 'ValidationError';
    this.errors = errors;
    this.fieldErrors = fieldErrors;
  }
}

const LOC_ROOTS = new Set(['body', 'query', 'path', 'header']);

/** ["body","bandwidth","ingress_mbps"] -> "bandwidth.ingress_mbps"; ["body"] -> "body". */
export function locToPath(loc: (string | number)[]): string {
  const parts = loc.length > 1 && LOC_ROOTS.has(String(loc[0])) ? loc.slice(1) : loc;
  return parts.map(String).join('.') || 'body';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFieldErrorItem(v: unknown): v is FieldErrorItem {
  return isRecord(v) && Array.isArray(v.loc) && typeof v.msg === 'string';
}

/**
 * Turn an HTTP status + JSON body into a typed error.
 * `status` 0 means the server could not be reached.
 */
export function errorFromResponse(status: number, body: unknown, retryAfterHeader?: string | null): ApiError {
  if (status === 0) {
    return new ApiError(0, 'Cannot reach the MarchProxy API server. Check that it is running.');
  }
  const detail = isRecord(body) ? body.detail : undefined;

  if (status === 403 && isRecord(detail) && detail.error === 'Enterprise feature not available') {
    return new LicenseError(
      typeof detail.feature === 'string' ? detail.feature : 'unknown',
      typeof detail.message === 'string' ? detail.message : 'This feature requires an Enterprise license.',
      typeof detail.upgrade_url === 'string' ? detail.upgrade_url : PRICING_URL,
      detail,
    );
  }
  if ((status === 422 || status === 409) && Array.isArray(detail) && detail.every(isFieldErrorItem)) {
    return new ValidationError(
      detail.map((d) => ({ loc: d.loc, msg: d.msg, type: typeof d.type === 'string' ? d.type : 'value_error' })),
      status,
    );
  }
  let message: string;
  if (typeof detail === 'string') {
    message = detail;
  } else if (isRecord(detail) && typeof detail.message === 'string') {
    message = detail.message;
  } else if (status === 401) {
    message = 'Not authenticated';
  } else if (status === 404) {
    message = 'Not found';
  } else if (status >= 500) {
    message = `Server error (HTTP ${status})`;
  } else {
    message = `Request failed (HTTP ${status})`;
  }
  let retryAfter: number | null = null;
  if (status === 429) {
    const n = Number(retryAfterHeader);
    retryAfter = Number.isFinite(n) && n > 0 ? n : null;
    if (retryAfter !== null) message = `${message} (retry in ${retryAfter} s)`;
  }
  return new ApiError(status, message, detail, retryAfter);
}

/** A message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
