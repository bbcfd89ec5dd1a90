import { api } from '@/lib/api-client';
import type { LicenseStatus } from '@/lib/license';

/** Re-validate the license on the server (admin). */
export const refreshLicense = () => api.post<LicenseStatus>('/api/v1/license/refresh').then((r) => r.data);
