import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, getToken, onUnauthorized, setToken } from './api';
import { hubStore, useHub } from './store';
import { Link, navigate, useLocation } from './router';
import { Icon, Logo } from './ui/Icon';
import { Toasts } from './ui/Toast';
import { SignIn } from './pages/SignIn';
import { ConnectionsPage } from './pages/Connections';
import { RecordsPage } from './pages/Records';
import { RecordDetailPage } from './pages/RecordDetail';
import { TroubleshootPage } from './pages/Troubleshoot';
import { IssuesPopover } from './pages/IssuesPopover';
import { TokensModal } from './pages/TokensModal';

type Auth = { status: 'checking' } | { status: 'signed-out'; reason?: string } | { status: 'signed-in'; open: boolean } | { status: 'down'; message: string };

/** Finds out whether the hub needs a token, and whether the one we keep still works. */
async function probe(): Promise<Auth> {
  const stored = getToken();
  try {
    await api('GET', '/api/connections', undefined, { token: stored });
    return { status: 'signed-in', open: !stored };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      if (stored) setToken(null);
      return { status: 'signed-out', reason: stored ? 'Your saved token is no longer accepted by this hub. Sign in again.' : undefined };
    }
    return { status: 'down', message: (err as Error).message };
  }
}

export function App() {
  const [auth, setAuth] = useState<Auth>({ status: 'checking' });
  const recheck = useCallback(() => { void probe().then(setAuth); }, []);
  useEffect(recheck, [recheck]);
  useEffect(() => onUnauthorized(() => {
    setToken(null);
    hubStore.stop();
    setAuth({ status: 'signed-out', reason: 'The hub no longer accepts your token. Sign in again.' });
  }), []);
  useEffect(() => {
    if (auth.status === 'signed-in') hubStore.start();
  }, [auth.status]);

  if (auth.status === 'checking') return <div className="boot"><Logo size={40} /><span className="spinner" aria-label="Loading" /></div>;
  if (auth.status === 'down') {
    return (
      <div className="auth-screen">
        <div className="auth-card">
          <Logo size={40} />
          <h1>The hub is not answering</h1>
          <p className="muted">{auth.message}</p>
          <button type="button" className="btn btn-primary btn-block" onClick={recheck}>Try again</button>
        </div>
      </div>
    );
  }
  if (auth.status === 'signed-out') {
    return <SignIn reason={auth.reason} onSignedIn={() => setAuth({ status: 'signed-in', open: false })} />;
  }
  const signOut = () => {
    setToken(null);
    hubStore.stop();
    setAuth({ status: 'signed-out' });
  };
  return <Shell onSignOut={auth.open ? null : signOut} />;
}

const NAV = [
  { to: '/', label: 'Connections', icon: 'connections' as const, match: (p: string) => p === '/' || p.startsWith('/connections') },
  { to: '/products', label: 'Products', icon: 'box' as const, match: (p: string) => p.startsWith('/products') },
  { to: '/orders', label: 'Orders', icon: 'order' as const, match: (p: string) => p.startsWith('/orders') },
  { to: '/troubleshoot', label: 'Troubleshoot', icon: 'tool' as const, match: (p: string) => p.startsWith('/troubleshoot') },
];

function Shell({ onSignOut }: { onSignOut: (() => void) | null }) {
  const { path } = useLocation();
  const hub = useHub();
  const [tokens, setTokens] = useState(false);
  let page;
  let m: RegExpMatchArray | null;
  if ((m = path.match(/^\/(products|orders)\/([^/]+)$/))) page = <RecordDetailPage entity={m[1] as 'products' | 'orders'} id={decodeURIComponent(m[2])} />;
  else if (path === '/products' || path === '/orders') page = <RecordsPage key={path} entity={path.slice(1) as 'products' | 'orders'} />;
  else if (path === '/troubleshoot') page = <TroubleshootPage />;
  else if (path === '/' || path === '/connections') page = <ConnectionsPage />;
  else page = <NotFound />;
  const section = NAV.find((n) => n.match(path))?.label;
  useEffect(() => { document.title = section ? `${section} · channelsync` : 'channelsync'; }, [section]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand" aria-label="channelsync home"><Logo size={28} /><span>channelsync</span></Link>
          <nav className="nav" aria-label="Main">
            {NAV.map((n) => (
              <Link key={n.to} to={n.to} className={`nav-link ${n.match(path) ? 'active' : ''}`} aria-current={n.match(path) ? 'page' : undefined}>
                <Icon name={n.icon} size={16} /><span className="nav-label">{n.label}</span>
              </Link>
            ))}
          </nav>
          <div className="topbar-right">
            <span className={`live-dot ${hub.live ? 'on' : ''}`} title={hub.live ? 'Live: progress arrives as it happens' : 'Reconnecting to the hub…'}>
              <span className="sr-only">{hub.live ? 'Live updates connected' : 'Live updates reconnecting'}</span>
            </span>
            <IssuesPopover />
            <button type="button" className="icon-btn" onClick={() => setTokens(true)} aria-label="Access tokens" title="API tokens"><Icon name="key" size={18} /></button>
            {onSignOut && (
              <button type="button" className="icon-btn" onClick={onSignOut} aria-label="Sign out" title="Sign out"><Icon name="logout" size={18} /></button>
            )}
          </div>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>{page}</main>
      {tokens && <TokensModal onClose={() => setTokens(false)} />}
      <Toasts />
    </div>
  );
}

function NotFound() {
  return (
    <div className="empty-state">
      <h1>Nothing here</h1>
      <p className="muted">This page does not exist in the panel.</p>
      <button type="button" className="btn btn-primary" onClick={() => navigate('/')}>Go to connections</button>
    </div>
  );
}
