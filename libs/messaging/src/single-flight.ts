import { Logger } from '@nestjs/common';

export interface SingleFlightOptions {
  /** Name in the logs. */
  name: string;
  /** Runs a pass on its own every this many ms (none when unset: only `kick()` starts one). */
  intervalMs?: number;
  /**
   * For a job whose passes cost more as the data grows (a whole-collection sweep: on FerretDB any
   * filter but `_id` reads the whole collection): the interval is counted from the end of a pass and
   * stretched so that the job runs at most this share of the time (`pacedInterval`), e.g.
   * `BACKGROUND_SCAN_SHARE`. Unset: every `intervalMs`, whatever a pass takes.
   */
  maxShare?: number;
  logger?: Logger;
}

/** What a whole-collection sweep may take of the time at most (1 %): a pass of 100 s waits 2¾ h for the next. */
export const BACKGROUND_SCAN_SHARE = 0.01;

/** The wait after a pass that took `tookMs`, so that the job runs at most `share` of the time and waits at least `intervalMs`. */
export function pacedInterval(intervalMs: number, tookMs: number, share: number): number {
  return Math.max(intervalMs, Math.ceil((tookMs * (1 - share)) / share));
}

/**
 * Runs `pass` so that passes never overlap: `kick()` during a pass asks for exactly one more after it,
 * however many kicks arrive. Optionally also every `intervalMs`. A failing pass is logged, never thrown.
 * The one loop behind every background job (outbox sweeps, due-time checks, delivery retries).
 */
export class SingleFlight {
  private readonly logger: Logger;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private lastPassMs = 0;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly options: SingleFlightOptions,
  ) {
    this.logger = options.logger ?? new Logger(options.name);
  }

  /** Starts the interval, with a first pass now unless `now: false`. */
  start(options: { now?: boolean } = {}): void {
    this.stopped = false;
    if (options.now !== false) this.kick();
    this.schedule();
  }

  /** Asks for a pass now, or right after the one in progress. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    const started = Date.now();
    this.running = this.pass()
      .then(
        () => undefined,
        (e) => this.logger.warn(`${this.options.name} pass failed, will retry: ${(e as Error)?.message ?? e}`),
      )
      .finally(() => {
        this.lastPassMs = Date.now() - started;
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves once no pass is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops the interval and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.again = false;
    if (this.timer) clearTimeout(this.timer);
    await this.idle();
  }

  private schedule(): void {
    if (this.options.intervalMs === undefined || this.stopped) return;
    const { intervalMs, maxShare } = this.options;
    const delay = maxShare ? pacedInterval(intervalMs, this.lastPassMs, maxShare) : intervalMs;
    if (delay > intervalMs) this.logger.log(`${this.options.name} took ${Math.round(this.lastPassMs / 1000)} s; the next in ${Math.round(delay / 60_000)} min (at most ${maxShare! * 100} % of the time)`);
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.kick();
      // Paced: the next wait counts from the end of this pass (and of any pass asked for meanwhile).
      if (maxShare) void this.idle().then(() => this.schedule());
      else this.schedule();
    }, delay);
    this.timer.unref();
  }
}
