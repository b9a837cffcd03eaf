import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, getToken, setToken } from '../api';
import { ago, dateTime } from '../format';
import { Modal } from '../ui/Modal';
import { CopyButton, Field } from '../ui/Form';
import { toast } from '../ui/Toast';

interface TokenItem { id: string; name: string; createdAt: string; lastUsedAt: string | null }

/** The hub's API tokens: create one (shown once), see when each was last used, revoke one. */
export function TokensModal({ onClose }: { onClose: () => void }) {
  const [items, setItems] = useState<TokenItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () => api<{ items: TokenItem[] }>('GET', '/api/tokens').then((r) => { setItems(r.items); setError(null); }, (e: Error) => setError(e.message));
  useEffect(() => { void load(); }, []);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) { setNameError('Name the token: what or who will use it.'); return; }
    setBusy(true);
    try {
      const r = await api<{ id: string; name: string; token: string }>('POST', '/api/tokens', { name: name.trim() });
      // On a hub that had no token, this browser signs in with the first one: the hub now asks for it.
      if (!getToken() && (items?.length ?? 0) === 0) setToken(r.token);
      setCreated({ name: r.name, token: r.token });
      setName('');
      await load();
    } catch (err) {
      if (err instanceof ApiError && err.field === 'name') setNameError(err.message);
      else setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (t: TokenItem) => {
    setBusy(true);
    try {
      await api('DELETE', `/api/tokens/${t.id}`);
      toast('success', `Token "${t.name}" revoked`, 'It stops working at once.');
      setConfirming(null);
      await load();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="API tokens" subtitle="For the CLI, scripts and this panel" onClose={onClose} size="md"
      footer={<button type="button" className="btn" onClick={onClose}>Close</button>}>
      {error && <p className="field-error" role="alert">{error}</p>}
      {created && (
        <div className="callout callout-info tokens-created" role="status">
          <p><strong>Token "{created.name}" created.</strong> Copy it now: it is shown once.</p>
          <div className="tokens-secret">
            <input className="mono" readOnly value={created.token} aria-label="The new token" onFocus={(e) => e.target.select()} />
            <CopyButton value={created.token} label="Copy the token" />
          </div>
        </div>
      )}
      {items === null ? <span className="spinner" aria-label="Loading" /> : items.length === 0 ? (
        <p className="muted">No tokens yet. Without one, the hub answers anyone on this machine; create one to reach it from elsewhere.</p>
      ) : (
        <div className="table-scroll"><table className="table" aria-label="API tokens">
          <thead><tr><th>Name</th><th>Created</th><th>Last used</th><th><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td title={dateTime(t.createdAt)}>{ago(t.createdAt)}</td>
                <td title={t.lastUsedAt ? dateTime(t.lastUsedAt) : undefined}>{t.lastUsedAt ? ago(t.lastUsedAt) : 'never'}</td>
                <td className="tokens-actions">
                  {confirming === t.id ? (
                    <>
                      <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void revoke(t)} aria-label={`Revoke ${t.name} now`}>Revoke now</button>
                      <button type="button" className="btn" onClick={() => setConfirming(null)}>Keep</button>
                    </>
                  ) : <button type="button" className="btn" onClick={() => setConfirming(t.id)}>Revoke…</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
      <form onSubmit={(e) => void create(e)} className="tokens-form">
        <Field label="New token" help="Name it after what will use it (a script, a person)." error={nameError} onEdit={() => setNameError(undefined)}>
          {(p) => <input {...p} value={name} maxLength={200} onChange={(e) => setName(e.target.value)} placeholder="deploy script" />}
        </Field>
        <button type="submit" className="btn btn-primary" disabled={busy}>Create token</button>
      </form>
    </Modal>
  );
}
