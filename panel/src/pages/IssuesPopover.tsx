import { useEffect, useId, useRef, useState } from 'react';
import { useHub } from '../store';
import { Link, navigate } from '../router';
import { ago, num, plural } from '../format';
import { Icon } from '../ui/Icon';
import { SeverityIcon } from './RecordDetail';

/** The bell: open issues by severity and connection, the latest ones, and the way to troubleshoot. */
export function IssuesPopover() {
  const hub = useHub();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const id = useId();
  const issues = hub.issues;
  const count = (s: string) => issues.filter((i) => i.severity === s).length;
  const alerting = count('error') + count('warning');

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => { if (!ref.current?.contains(e.target as Node)) setOpen(false); };
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') { setOpen(false); button.current?.focus(); } };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => { document.removeEventListener('mousedown', onDown); document.removeEventListener('keydown', onKey); };
  }, [open]);

  const byConnection = hub.connections.map((c) => ({ c, n: issues.filter((i) => i.connectionId === c.id && i.severity !== 'notice').length })).filter((x) => x.n > 0);

  return (
    <div className="popover-wrap" ref={ref}>
      <button ref={button} type="button" className="icon-btn bell" aria-haspopup="dialog" aria-expanded={open} aria-controls={id}
        aria-label={`Issues: ${alerting} open`} title="Issues" onClick={() => setOpen(!open)}>
        <Icon name="bell" size={18} />
        {alerting > 0 && <span className="bell-badge" data-testid="issues-badge">{alerting > 99 ? '99+' : alerting}</span>}
      </button>
      {open && (
        <div id={id} className="popover" role="dialog" aria-label="Issues">
          <div className="popover-head">
            <strong>Issues</strong>
            <span className="muted small">{num(issues.length)} open</span>
          </div>
          <div className="sev-counts">
            <span className="sev-count sev-error"><Icon name="error" size={14} />{plural(count('error'), 'error')}</span>
            <span className="sev-count sev-warning"><Icon name="warning" size={14} />{plural(count('warning'), 'warning')}</span>
            <span className="sev-count sev-notice"><Icon name="info" size={14} />{plural(count('notice'), 'notice')}</span>
          </div>
          {byConnection.length > 0 && (
            <ul className="popover-conns">
              {byConnection.map(({ c, n }) => (
                <li key={c.id}><Link to={`/troubleshoot?connection=${c.id}`} onClick={() => setOpen(false)}>{c.name}</Link><span className="muted">{num(n)}</span></li>
              ))}
            </ul>
          )}
          {issues.length === 0 ? (
            <p className="popover-empty"><Icon name="checkCircle" size={18} />All clear: no open issues.</p>
          ) : (
            <ul className="popover-list">
              {issues.slice(0, 5).map((i) => (
                <li key={i.id}>
                  <SeverityIcon severity={i.severity} />
                  <div>
                    {i.recordId
                      ? <Link to={`/products/${i.recordId}`} onClick={() => setOpen(false)} className="popover-msg">{i.message}</Link>
                      : <span className="popover-msg">{i.message}</span>}
                    <span className="muted small block">{hub.connections.find((c) => c.id === i.connectionId)?.name ?? 'hub'} · {ago(i.createdAt)}</span>
                  </div>
                </li>
              ))}
            </ul>
          )}
          <div className="popover-foot">
            <button type="button" className="btn btn-primary btn-block" onClick={() => { setOpen(false); navigate('/troubleshoot'); }}>
              <Icon name="tool" size={16} />Troubleshoot
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
