import { useState, type FormEvent } from 'react';
import { api, ApiError, setToken } from '../api';
import { Icon, Logo } from '../ui/Icon';

/** Sign-in with an API token (CHANNELSYNC_TOKEN or one created with POST /api/tokens). */
export function SignIn({ reason, onSignedIn }: { reason?: string; onSignedIn: () => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const token = value.trim();
    if (!token) { setError('Enter your API token.'); return; }
    setBusy(true);
    setError(null);
    try {
      await api('GET', '/api/connections', undefined, { token });
      setToken(token);
      onSignedIn();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setError('That token was not accepted by this hub. Check for typos, or use the value of CHANNELSYNC_TOKEN the hub was started with.');
      } else {
        setError((err as Error).message);
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="auth-screen">
      <form className="auth-card" onSubmit={submit} noValidate>
        <div className="auth-brand"><Logo size={40} /><span>channelsync</span></div>
        <h1>Sign in to your hub</h1>
        <p className="muted">Your catalog, stock and orders in sync across every place you sell.</p>
        {reason && !error && <div className="callout callout-info" role="status"><Icon name="info" size={16} />{reason}</div>}
        <label className="field">
          <span className="field-label">API token</span>
          <div className={`input-icon ${error ? 'invalid' : ''}`}>
            <Icon name="key" size={16} />
            <input type="password" name="token" autoComplete="current-password" value={value} autoFocus
              onChange={(e) => setValue(e.target.value)} aria-invalid={!!error} aria-describedby={error ? 'signin-error' : 'signin-help'}
              placeholder="cs_…" spellCheck={false} />
          </div>
          {error
            ? <span id="signin-error" className="field-error" role="alert">{error}</span>
            : <span id="signin-help" className="field-help">The token is kept in this browser only.</span>}
        </label>
        <button type="submit" className="btn btn-primary btn-block btn-lg" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
      </form>
    </div>
  );
}
