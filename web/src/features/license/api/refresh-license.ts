import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { licenseKeys, type LicenseStatus } from '@/lib/license';

/** Re-validate the license on the server (admin). */
export const refreshLicense = () => api.post<LicenseStatus>('/api/v1/license/refresh').then((r) => r.data);

/** Re-validate the license, then reload the status everything else reads. */
export function useRefreshLicense() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: refreshLicense,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: licenseKeys.status });
    },
  });
}
