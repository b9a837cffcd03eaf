import { useId, useState, type ReactNode } from 'react';
import { Icon } from './Icon';

export interface FieldProps { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }

/**
 * A labelled input with help text and an error that names what is wrong. `onEdit` is called when
 * an input inside it changes (the change event bubbles), so its owner can clear a stale error.
 */
export function Field({ label, help, error, children, inline, onEdit }: {
  label: ReactNode; help?: ReactNode; error?: string; inline?: boolean; children: (p: FieldProps) => ReactNode; onEdit?: () => void;
}) {
  const id = useId();
  const describedBy = error ? `${id}-err` : help ? `${id}-help` : undefined;
  return (
    <div className={`field ${error ? 'has-error' : ''} ${inline ? 'field-inline' : ''}`} onChange={onEdit}>
      <label className="field-label" htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {error ? <span id={`${id}-err`} className="field-error" role="alert">{error}</span>
        : help ? <span id={`${id}-help`} className="field-help">{help}</span> : null}
    </div>
  );
}

/** An accessible on/off switch (a checkbox underneath). */
export function Switch({ checked, onChange, label, help, disabled, compact }: {
  checked: boolean; onChange: (v: boolean) => void; label: ReactNode; help?: ReactNode; disabled?: boolean; compact?: boolean;
}) {
  const id = useId();
  return (
    <div className={`switch-row ${compact ? 'compact' : ''}`}>
      <input id={id} type="checkbox" role="switch" className="switch" checked={checked} disabled={disabled}
        onChange={(e) => onChange(e.target.checked)} aria-describedby={help ? `${id}-help` : undefined} />
      <label htmlFor={id} className="switch-label">
        <span>{label}</span>
        {help && <span id={`${id}-help`} className="field-help">{help}</span>}
      </label>
    </div>
  );
}

export function CopyButton({ value, label = 'Copy' }: { value: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      const ta = document.createElement('textarea');
      ta.value = value;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return (
    <button type="button" className="btn" onClick={copy} aria-label={label} title={label}>
      <Icon name={done ? 'check' : 'copy'} size={16} />{done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** Tabs with arrow-key navigation (WAI-ARIA tabs pattern). */
export function Tabs<T extends string>({ tabs, value, onChange, label }: { tabs: Array<[T, ReactNode]>; value: T; onChange: (v: T) => void; label: string }) {
  const baseId = useId();
  return (
    <div className="tabs" role="tablist" aria-label={label}
      onKeyDown={(e) => {
        if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
        const i = tabs.findIndex(([t]) => t === value);
        const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length][0];
        onChange(next);
        (document.getElementById(`${baseId}-${next}`) as HTMLElement | null)?.focus();
      }}>
      {tabs.map(([t, l]) => (
        <button key={t} id={`${baseId}-${t}`} type="button" role="tab" aria-selected={t === value} tabIndex={t === value ? 0 : -1}
          className={`tab ${t === value ? 'active' : ''}`} onClick={() => onChange(t)}>{l}</button>
      ))}
    </div>
  );
}
