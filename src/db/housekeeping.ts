import { sql } from 'drizzle-orm';
import type { Database } from './index.js';

/** The tables a sync writes in bulk: their statistics steer every per-page query plan. */
const HOT = ['records', 'record_facts', 'equivalences', 'listing_facts', 'pending_changes', 'issues', 'record_history', 'reservations'];
/** Rows written before the first ANALYZE, and the least between two. */
const MIN_WRITES = 2_000;
/** Writes, as a share of the rows already there, that make the statistics stale (autovacuum's default is 10-20%). */
const ANALYZE_SHARE = 0.5;
/** Writes, as a share of the rows, that leave enough dead rows to VACUUM. */
const VACUUM_SHARE = 1;
/** Writes, as a share of the rows, after which a job that ends vacuums the listings (autovacuum's insert threshold is 20%). */
const SETTLE_SHARE = 0.2;

/**
 * What autovacuum does on a PostgreSQL server, for the embedded database, which has no
 * background workers: without it the planner never learns that a table grew from 0 to
 * 100,000 rows (and picks plans that read whole indexes per page), and dead rows are
 * never reclaimed. Writers report how many rows they wrote; at their next safe point
 * (between pages, outside any transaction) `maybeRun` analyses, or vacuums, the hot
 * tables once enough was written. On PostgreSQL it only analyses: autovacuum does the
 * rest, but may look a minute or more after a bulk load, while the next sync is planned
 * with the statistics of an empty table.
 */
export class Housekeeping {
  private sinceAnalyze = 0;
  private sinceVacuum = 0;
  private sinceSettle = 0;
  private rows = 0;
  private running: Promise<void> | null = null;

  constructor(private readonly db: Database) {}

  noteWrites(n: number): void {
    if (n <= 0) return;
    this.sinceAnalyze += n;
    this.sinceVacuum += n;
    this.sinceSettle += n;
  }

  /**
   * At the end of a job, on the embedded database: after a bulk write (a first fetch, an
   * absorb), VACUUM the listings once. The next scan then asks for fingerprints with an
   * index-only scan (the key's index carries them) instead of reading every listing's wide
   * row, and stops setting hint bits page by page (each a page written back to the file);
   * a send stops stepping over the dead index entries its creates left. A few hundred
   * milliseconds at 100k listings, once per bulk job. On both databases, what the job wrote
   * since its last ANALYZE is analysed now rather than on the next job's first page (after
   * an absorb of 10k, that was a sixth of the next 1% sync).
   */
  async settle(): Promise<void> {
    if (this.sinceSettle < Math.max(MIN_WRITES * 5, SETTLE_SHARE * this.rows)) return;
    await this.running;
    this.sinceSettle = 0;
    if (this.db.kind === 'pglite') await this.db.rows(sql.raw('vacuum (analyze) equivalences')).catch(() => undefined);
    if (this.sinceAnalyze < MIN_WRITES) return;
    this.running = this.run(false).catch(() => undefined).finally(() => { this.running = null; });
    await this.running;
  }

  /** Runs ANALYZE (or VACUUM ANALYZE) when due. Call it outside any transaction. */
  async maybeRun(): Promise<void> {
    if (this.running) return this.running;
    const vacuum = this.db.kind === 'pglite' && this.sinceVacuum >= Math.max(MIN_WRITES * 10, VACUUM_SHARE * this.rows);
    if (!vacuum && this.sinceAnalyze < Math.max(MIN_WRITES, ANALYZE_SHARE * this.rows)) return;
    // Best effort: statistics a little stale never justify failing the sync that asked.
    this.running = this.run(vacuum).catch(() => undefined).finally(() => { this.running = null; });
    return this.running;
  }

  private async run(vacuum: boolean): Promise<void> {
    this.sinceAnalyze = 0;
    if (vacuum) this.sinceVacuum = this.sinceSettle = 0;
    await this.db.rows(sql.raw(`${vacuum ? 'vacuum (analyze)' : 'analyze'} ${HOT.join(', ')}`));
    const [{ n }] = await this.db.rows<{ n: number }>(sql`
      select coalesce(sum(greatest(reltuples, 0)), 0)::int8 as n from pg_class where relname = any(${`{${HOT.join(',')}}`}::text[])`);
    this.rows = Number(n);
  }
}
