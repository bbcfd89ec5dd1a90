import { Link, NavLink, Outlet, useNavigate } from 'react-router-dom';
import { useAuth } from '@/lib/auth';
import { useLicense } from '@/lib/license';
import type { Feature } from '@/lib/license';

const NAV: { to: string; label: string; feature?: Feature; adminOnly?: boolean }[] = [
  { to: '/dashboard', label: 'Dashboard' },
  { to: '/clusters', label: 'Clusters' },
  { to: '/services', label: 'Services' },
  { to: '/proxies', label: 'Proxies' },
  { to: '/traffic-shaping', label: 'Traffic Shaping', feature: 'traffic_shaping' },
  { to: '/multi-cloud', label: 'Multi-Cloud Routing', feature: 'multi_cloud_routing' },
  { to: '/observability', label: 'Observability', feature: 'distributed_tracing' },
  { to: '/license', label: 'License' },
  { to: '/users', label: 'Users', adminOnly: true },
];

export default function Layout() {
  const { user, logout, isAdmin } = useAuth();
  const { status } = useLicense();
  const navigate = useNavigate();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">MarchProxy</span>
        <span className="topbar-right">
          {status && (
            <span className={`badge badge-tier-${status.tier}`} title="License tier">
              {status.tier}
            </span>
          )}
          {user && (
            <span className="user" aria-label="Signed in user">
              {user.username} ({user.role})
            </span>
          )}
          <Link className="btn btn-small" to="/account/password">
            Change password
          </Link>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              // The session is forgotten at once; the server revokes its tokens in the background.
              void logout();
              navigate('/login', { replace: true });
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <div className="body">
        <nav className="sidebar" aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.adminOnly || isAdmin).map((n) => (
              <li key={n.to}>
                <NavLink to={n.to} className={({ isActive }) => (isActive ? 'active' : undefined)}>
                  {n.label}
                  {n.feature && status && !status.features.includes(n.feature) && (
                    <span className="nav-lock" aria-label="requires Enterprise">
                      {' '}
                      ★
                    </span>
                  )}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}
