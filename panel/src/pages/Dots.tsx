import type { Connection, ListEquivalence } from '../api';
import { initials } from '../format';

/** The seed's colours: gray in sync, green to create, yellow to update, red to remove. */
export function dotKind(e: Pick<ListEquivalence, 'status' | 'removals'>): 'live' | 'insert' | 'update' | 'remove' | 'gone' | 'error' {
  if (e.removals || e.status === 'pending_removal') return 'remove';
  switch (e.status) {
    case 'pending_insert': return 'insert';
    case 'pending_update': return 'update';
    case 'gone': return 'gone';
    case 'error': return 'error';
    default: return 'live';
  }
}

const DOT_TEXT: Record<string, string> = {
  live: 'in sync', insert: 'pending creation', update: 'pending update', remove: 'pending removal', gone: 'gone from the platform', error: 'failed to write', none: 'not listed',
};

/** One dot per connection (one per listing when a connection holds several), in the order of the connections. */
export function ChannelDots({ equivalences, connections }: { equivalences: ListEquivalence[]; connections: Connection[] }) {
  return (
    <span className="dots" role="list">
      {connections.map((c) => {
        const mine = equivalences.filter((e) => e.connectionId === c.id);
        if (mine.length === 0) {
          return <span key={c.id} role="listitem" className="dot-slot"><span className="dot dot-none" title={`${c.name}: ${DOT_TEXT.none}`} aria-label={`${c.name}: ${DOT_TEXT.none}`} /></span>;
        }
        return (
          <span key={c.id} role="listitem" className="dot-slot">
            {mine.map((e, i) => {
              const k = dotKind(e);
              const issues = e.issues ?? 0;
              const text = `${c.name}: ${DOT_TEXT[k]}${issues ? `, ${issues} issue${issues === 1 ? '' : 's'}` : ''}`;
              return (
                <span key={i} className={`dot dot-${k} ${issues ? 'has-issue' : ''}`} title={text} aria-label={text} data-status={k}>
                  {issues > 0 && <span className="dot-issue" aria-hidden="true">!</span>}
                </span>
              );
            })}
          </span>
        );
      })}
    </span>
  );
}

export function ChannelHeader({ connections }: { connections: Connection[] }) {
  return (
    <span className="dots dots-head" aria-label="Connections, in order">
      {connections.map((c) => <span key={c.id} className="dot-slot" title={c.name}>{initials(c.name)}</span>)}
    </span>
  );
}

export function DotLegend() {
  return (
    <ul className="legend" aria-label="Colour legend">
      <li><span className="dot dot-live" />In sync</li>
      <li><span className="dot dot-insert" />To create</li>
      <li><span className="dot dot-update" />To update</li>
      <li><span className="dot dot-remove" />To remove</li>
      <li><span className="dot dot-none" />Not listed</li>
      <li><span className="dot-issue issue-mark">!</span>Has issues</li>
    </ul>
  );
}
