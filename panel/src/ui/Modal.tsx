import { useEffect, useId, useRef, type ReactNode } from 'react';
import { Icon } from './Icon';

/**
 * A modal on the native <dialog>: focus moves in and is trapped, Escape closes,
 * and focus returns to the button that opened it.
 */
export function Modal({ title, subtitle, onClose, children, footer, size = 'md', icon }: {
  title: ReactNode; subtitle?: ReactNode; onClose: () => void; children: ReactNode; footer?: ReactNode;
  size?: 'sm' | 'md' | 'lg'; icon?: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    const cancel = (e: Event) => { e.preventDefault(); closeRef.current(); };
    dialog.addEventListener('cancel', cancel);
    return () => {
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog ref={ref} className={`modal modal-${size}`} aria-labelledby={titleId}
      onMouseDown={(e) => { if (e.target === ref.current) onClose(); }}>
      <div className="modal-inner">
        <header className="modal-head">
          {icon && <div className="modal-icon">{icon}</div>}
          <div className="modal-titles">
            <h2 id={titleId}>{title}</h2>
            {subtitle && <p className="muted">{subtitle}</p>}
          </div>
          <button type="button" className="icon-btn" onClick={onClose} aria-label="Close"><Icon name="x" size={18} /></button>
        </header>
        <div className="modal-body">{children}</div>
        {footer && <footer className="modal-foot">{footer}</footer>}
      </div>
    </dialog>
  );
}

/** A small confirmation dialog; the confirming button is focused first only when the action is harmless. */
export function Confirm({ title, children, confirmLabel, danger, onConfirm, onCancel, busy }: {
  title: string; children: ReactNode; confirmLabel: string; danger?: boolean; busy?: boolean;
  onConfirm: () => void; onCancel: () => void;
}) {
  return (
    <Modal title={title} onClose={onCancel} size="sm"
      icon={<span className={`modal-icon-badge ${danger ? 'danger' : ''}`}><Icon name={danger ? 'warning' : 'info'} size={20} /></span>}
      footer={<>
        <button type="button" className="btn" onClick={onCancel} autoFocus={danger}>Cancel</button>
        <button type="button" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} onClick={onConfirm} disabled={busy} autoFocus={!danger}>{busy ? 'Working…' : confirmLabel}</button>
      </>}>
      {children}
    </Modal>
  );
}
