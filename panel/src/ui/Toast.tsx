import { useSyncExternalStore } from 'react';
import { Icon } from './Icon';

export interface ToastItem { id: number; kind: 'success' | 'error' | 'info'; title: string; detail?: string }

let items: ToastItem[] = [];
let seq = 0;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((fn) => fn());

/** Shows a short message in the corner; errors stay until dismissed. */
export function toast(kind: ToastItem['kind'], title: string, detail?: string) {
  const id = ++seq;
  items = [...items.slice(-3), { id, kind, title, detail }];
  emit();
  if (kind !== 'error') setTimeout(() => dismiss(id), 4500);
}

function dismiss(id: number) {
  items = items.filter((t) => t.id !== id);
  emit();
}

export function Toasts() {
  const list = useSyncExternalStore((fn) => { listeners.add(fn); return () => { listeners.delete(fn); }; }, () => items);
  return (
    <div className="toasts" role="region" aria-label="Notifications" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <Icon name={t.kind === 'success' ? 'checkCircle' : t.kind === 'error' ? 'error' : 'info'} size={18} className="toast-icon" />
          <div className="toast-text">
            <strong>{t.title}</strong>
            {t.detail && <span>{t.detail}</span>}
          </div>
          <button type="button" className="icon-btn small" onClick={() => dismiss(t.id)} aria-label="Dismiss"><Icon name="x" size={14} /></button>
        </div>
      ))}
    </div>
  );
}
