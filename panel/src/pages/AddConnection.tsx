import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, apiOptional, type Connection, type Job } from '../api';
import { hubStore } from '../store';
import { Modal } from '../ui/Modal';
import { Icon } from '../ui/Icon';
import { toast } from '../ui/Toast';
import { kindLabel } from './Connections';
import { CopyButton, Field, Switch } from '../ui/Form';

interface KindInfo { kind: string; label: string; description: string }

const DESCRIPTIONS: Record<string, string> = {
  custom: 'Any webshop or system that speaks the channelsync storefront protocol: two addresses and a shared key.',
};

/** The kinds this hub knows: from GET /api/connectors when the hub has it, else from its OpenAPI document. */
async function loadKinds(): Promise<KindInfo[]> {
  const listed = await apiOptional<{ items: Array<{ kind: string; label?: string; description?: string }> }>('GET', '/api/connectors').catch(() => null);
  let kinds: string[] = listed?.items?.map((k) => k.kind) ?? [];
  if (kinds.length === 0) {
    const doc = await api<{ paths?: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: { properties?: { kind?: { enum?: string[] } } } }> } } }> }>('GET', '/api/openapi.json').catch(() => null);
    kinds = doc?.paths?.['/api/connections']?.post?.requestBody?.content?.['application/json']?.schema?.properties?.kind?.enum ?? ['custom'];
  }
  return kinds.map((kind) => {
    const info = listed?.items?.find((k) => k.kind === kind);
    return { kind, label: info?.label ?? kindLabel(kind), description: info?.description ?? DESCRIPTIONS[kind] ?? 'Connect with its configuration (JSON).' };
  });
}

/** A new connection key, like the storefront plugin's "Generate key": 24 random bytes, base64url. */
export function generateKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

type Step = 'kind' | 'details' | 'done';

export function AddConnection({ onClose }: { onClose: () => void }) {
  const [kinds, setKinds] = useState<KindInfo[]>([]);
  const [step, setStep] = useState<Step>('kind');
  const [kind, setKind] = useState('custom');
  const [name, setName] = useState('');
  const [productsUrl, setProductsUrl] = useState('');
  const [ordersUrl, setOrdersUrl] = useState('');
  const [productsWriteUrl, setProductsWriteUrl] = useState('');
  const [ordersWriteUrl, setOrdersWriteUrl] = useState('');
  const [key, setKey] = useState('');
  const [rawConfig, setRawConfig] = useState('{\n  \n}');
  const [absorbProducts, setAbsorbProducts] = useState(false);
  const [absorbOrders, setAbsorbOrders] = useState(false);
  const [advanced, setAdvanced] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Connection | null>(null);

  useEffect(() => { void loadKinds().then(setKinds); }, []);

  const fieldError = (f: string) => (error?.field === f || error?.field === `config.${f}` ? error.message : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    let config: Record<string, unknown>;
    if (kind === 'custom') {
      config = { productsUrl: productsUrl.trim(), ordersUrl: ordersUrl.trim(), ...(key.trim() ? { key: key.trim() } : {}) };
      if (productsWriteUrl.trim()) config.productsWriteUrl = productsWriteUrl.trim();
      if (ordersWriteUrl.trim()) config.ordersWriteUrl = ordersWriteUrl.trim();
    } else {
      try {
        config = JSON.parse(rawConfig);
      } catch (err) {
        setError({ message: `The configuration is not valid JSON: ${(err as Error).message}`, field: 'config' });
        return;
      }
    }
    setBusy(true);
    try {
      const c = await api<Connection>('POST', '/api/connections', {
        name: name.trim(), kind, config, settings: { absorb: { products: absorbProducts, orders: absorbOrders } },
      });
      hubStore.replaceConnection(c);
      setCreated(c);
      setStep('done');
    } catch (err) {
      if (err instanceof ApiError) setError({ message: err.message, field: err.field });
      else setError({ message: String(err) });
    } finally {
      setBusy(false);
    }
  };

  const scan = async () => {
    if (!created) return;
    setBusy(true);
    try {
      const res = await api<{ jobId: string; job?: Job }>('POST', `/api/connections/${created.id}/fetch`);
      if (res.job) hubStore.trackJob(res.job);
      onClose();
    } catch (err) {
      toast('error', `Could not start the scan of ${created.name}`, (err as Error).message);
      setBusy(false);
    }
  };

  const steps: Array<[Step, string]> = [['kind', 'Platform'], ['details', 'Details'], ['done', 'Scan']];
  const stepIndex = steps.findIndex(([s]) => s === step);

  return (
    <Modal title="Add a connection" subtitle="Connect a place where you sell." onClose={onClose} size="md"
      footer={step === 'kind' ? (
        <>
          <button key="cancel" type="button" className="btn" onClick={onClose}>Cancel</button>
          <button key="continue" type="button" className="btn btn-primary" onClick={() => setStep('details')}>Continue<Icon name="arrowRight" size={16} /></button>
        </>
      ) : step === 'details' ? (
        <>
          <button key="back" type="button" className="btn" onClick={() => setStep('kind')}><Icon name="arrowLeft" size={16} />Back</button>
          <button key="connect" type="submit" form="add-connection" className="btn btn-primary" disabled={busy}>{busy ? 'Connecting…' : 'Connect'}</button>
        </>
      ) : (
        <>
          <button key="later" type="button" className="btn" onClick={onClose}>Later</button>
          <button key="scan" type="button" className="btn btn-primary" onClick={scan} disabled={busy}><Icon name="fetch" size={16} />Scan now</button>
        </>
      )}>
      <ol className="stepper" aria-label="Steps">
        {steps.map(([s, label], i) => (
          <li key={s} className={i < stepIndex ? 'done' : i === stepIndex ? 'current' : ''} aria-current={i === stepIndex ? 'step' : undefined}>
            <span className="step-num">{i < stepIndex ? <Icon name="check" size={12} /> : i + 1}</span>{label}
          </li>
        ))}
      </ol>

      {step === 'kind' && (
        <div className="kind-grid" role="radiogroup" aria-label="Platform">
          {(kinds.length ? kinds : [{ kind: 'custom', label: 'Custom storefront', description: DESCRIPTIONS.custom }]).map((k) => (
            <label key={k.kind} className={`kind-tile ${kind === k.kind ? 'selected' : ''}`}>
              <input type="radio" name="kind" value={k.kind} checked={kind === k.kind} onChange={() => setKind(k.kind)} />
              <span className="kind-icon"><Icon name={k.kind === 'custom' ? 'code' : 'store'} size={20} /></span>
              <span className="kind-text"><strong>{k.label}</strong><span className="muted small">{k.description}</span></span>
            </label>
          ))}
        </div>
      )}

      {step === 'details' && (
        <form id="add-connection" className="form" onSubmit={submit} noValidate>
          {error && !['name', 'config.productsUrl', 'config.ordersUrl', 'config.key', 'config'].includes(error.field ?? '') && (
            <div className="callout callout-error" role="alert"><Icon name="error" size={16} />{error.message}</div>
          )}
          <Field label="Name" help="How this connection appears in the panel, e.g. “Webshop” or “Marketplace EU”." error={fieldError('name')}>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} placeholder="My webshop" autoFocus />}
          </Field>
          {kind === 'custom' ? (
            <>
              <Field label="Connection key" help="Generate a key and paste it into your storefront's channelsync settings: the store sends it back with every answer, so the hub knows it talks to the right shop." error={fieldError('key')}>
                {(p) => (
                  <div className="input-group">
                    <input {...p} className="mono" value={key} onChange={(e) => setKey(e.target.value)} placeholder="Generate one, or paste the storefront's key" spellCheck={false} />
                    <button type="button" className="btn" onClick={() => setKey(generateKey())}><Icon name="key" size={16} />Generate</button>
                    {key && <CopyButton value={key} label="Copy key" />}
                  </div>
                )}
              </Field>
              <Field label="Products URL" help="Where the storefront lists its products, e.g. https://shop.example.com/api/product" error={fieldError('productsUrl')}>
                {(p) => <input {...p} type="url" inputMode="url" value={productsUrl} onChange={(e) => setProductsUrl(e.target.value)} placeholder="https://shop.example.com/api/product" spellCheck={false} />}
              </Field>
              <Field label="Orders URL" help="Where it lists its sales orders." error={fieldError('ordersUrl')}>
                {(p) => <input {...p} type="url" inputMode="url" value={ordersUrl} onChange={(e) => setOrdersUrl(e.target.value)} placeholder="https://shop.example.com/api/order" spellCheck={false} />}
              </Field>
              <button type="button" className="link-btn" onClick={() => setAdvanced(!advanced)} aria-expanded={advanced}>
                <Icon name={advanced ? 'down' : 'right'} size={14} />Separate write addresses (optional)
              </button>
              {advanced && (
                <div className="form-indent">
                  <Field label="Products write URL" help="Only if the store takes writes at another address." error={fieldError('productsWriteUrl')}>
                    {(p) => <input {...p} type="url" value={productsWriteUrl} onChange={(e) => setProductsWriteUrl(e.target.value)} spellCheck={false} />}
                  </Field>
                  <Field label="Orders write URL" error={fieldError('ordersWriteUrl')}>
                    {(p) => <input {...p} type="url" value={ordersWriteUrl} onChange={(e) => setOrdersWriteUrl(e.target.value)} spellCheck={false} />}
                  </Field>
                </div>
              )}
            </>
          ) : (
            <Field label="Configuration (JSON)" help={`The ${kindLabel(kind)} connector's settings, as documented in the API reference.`} error={error?.field?.startsWith('config') ? error.message : undefined}>
              {(p) => <textarea {...p} className="mono" rows={6} value={rawConfig} onChange={(e) => setRawConfig(e.target.value)} spellCheck={false} />}
            </Field>
          )}
          <fieldset className="fieldset">
            <legend>Absorb</legend>
            <Switch checked={absorbProducts} onChange={setAbsorbProducts} label="Copy new products from my other connections into this one"
              help="New products are created here on the next send." />
            <Switch checked={absorbOrders} onChange={setAbsorbOrders} label="Copy new sales orders into this one"
              help="For the system that fulfils orders (webshop, ERP)." />
          </fieldset>
        </form>
      )}

      {step === 'done' && created && (
        <div className="done-step">
          <div className="done-icon"><Icon name="checkCircle" size={28} /></div>
          <h3>{created.name} is connected</h3>
          <p className="muted">Scan it now to read its products and orders into the hub. Changes found there are planned on your other connections; nothing is written anywhere until you send.</p>
          {typeof created.config?.key === 'string' && (
            <div className="key-box">
              <span className="field-label">Connection key</span>
              <div className="input-group">
                <code className="key-value" data-testid="connection-key">{created.config.key}</code>
                <CopyButton value={created.config.key} label="Copy key" />
              </div>
              <span className="field-help">The storefront must send this key back. You can see it again in the connection's settings.</span>
            </div>
          )}
        </div>
      )}
    </Modal>
  );
}
