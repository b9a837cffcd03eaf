import pino, { type Logger } from 'pino';

/** More uncaught exceptions than this within STORM_WINDOW_MS: the process is in a state no one foresaw; it exits. */
const STORM_LIMIT = 20;
const STORM_WINDOW_MS = 60_000;

/**
 * Keeps a long-running hub process serving when something fails where nothing catches
 * it. Without it, Node ends the process on an unhandled rejection or an uncaught
 * exception, and with it every other connection's jobs: one platform's bad answer on
 * every scheduled run would keep the whole hub down.
 *
 * - An unhandled rejection is logged and the hub goes on: a rejected promise has
 *   unwound nothing but its own chain.
 * - An uncaught exception is logged and the hub goes on too: its state lives in the
 *   database (transactions roll back, jobs hold leases the reaper takes back), so a
 *   thrown callback loses at most the work of that callback. But a burst of them
 *   (more than STORM_LIMIT in a minute) means something is broken for good: the
 *   process then exits 1, for its supervisor to start a clean one, whose crash
 *   recovery takes the jobs back.
 *
 * Returns a function that removes the guard (for tests).
 */
export function installProcessGuard(log: Logger = pino({ level: process.env.LOG_LEVEL ?? 'info', name: 'process-guard' }), opts: { exit?: (code: number) => void } = {}): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let recent: number[] = [];
  const onRejection = (reason: unknown) => {
    log.error({ err: reason }, 'a failure nothing handled (unhandled rejection); logged, the hub keeps serving');
  };
  const onException = (err: Error, origin: string) => {
    const now = Date.now();
    recent = recent.filter((t) => now - t < STORM_WINDOW_MS);
    recent.push(now);
    if (recent.length > STORM_LIMIT) {
      log.fatal({ err, origin }, `${recent.length} uncaught exceptions within a minute: the process exits for a clean restart`);
      log.flush?.();
      exit(1);
      return;
    }
    log.error({ err, origin }, 'an uncaught exception; logged, the hub keeps serving');
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
