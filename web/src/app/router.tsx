import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import Layout from '@/components/layouts/app-layout';
import { Loading } from '@/components/ui/states';
import ChangePassword from '@/features/auth/components/change-password-page';
import Login from '@/features/auth/components/login-page';
import Clusters from '@/features/clusters/components/clusters-page';
import License from '@/features/license/components/license-page';
import Users from '@/features/users/components/users-page';
import { setUnauthorizedHandler } from '@/lib/api-client';
import { useAuth } from '@/lib/auth';
import { LicenseProvider } from '@/lib/license';
import Dashboard from './routes/dashboard';
import NotFound from './routes/not-found';
import Proxies from './routes/proxies';
import Services from './routes/services';

// The enterprise pages (and recharts) load on demand; each route decides with its LicenseGate first.
const TrafficShaping = lazy(() => import('./routes/traffic-shaping'));
const MultiCloudRouting = lazy(() => import('./routes/multi-cloud'));
const Observability = lazy(() => import('./routes/observability'));

/** On a 401 the API client clears the session; send the user to /login without a reload. */
function UnauthorizedRedirect() {
  const navigate = useNavigate();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      const here = window.location.pathname + window.location.search;
      if (window.location.pathname !== '/login') {
        navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
      }
    });
  }, [navigate]);
  return null;
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { session, signedOut } = useAuth();
  const location = useLocation();
  if (!session) {
    if (signedOut) return <Navigate to="/login" replace />;
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  return <LicenseProvider>{children}</LicenseProvider>;
}

/** The console's routes; everything but /login needs a session, and reads the license status. */
export function AppRouter() {
  return (
    <BrowserRouter>
      <UnauthorizedRedirect />
      <Routes>
        <Route path="/login" element={<Login />} />
        <Route
          element={
            <RequireAuth>
              <Layout />
            </RequireAuth>
          }
        >
          <Route index element={<Navigate to="/dashboard" replace />} />
          <Route path="/dashboard" element={<Dashboard />} />
          <Route
            path="/traffic-shaping"
            element={
              <Suspense fallback={<Loading />}>
                <TrafficShaping />
              </Suspense>
            }
          />
          <Route
            path="/multi-cloud"
            element={
              <Suspense fallback={<Loading />}>
                <MultiCloudRouting />
              </Suspense>
            }
          />
          <Route
            path="/observability"
            element={
              <Suspense fallback={<Loading />}>
                <Observability />
              </Suspense>
            }
          />
          <Route path="/license" element={<License />} />
          <Route path="/clusters" element={<Clusters />} />
          <Route path="/services" element={<Services />} />
          <Route path="/proxies" element={<Proxies />} />
          <Route path="/users" element={<Users />} />
          <Route path="/account/password" element={<ChangePassword />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
