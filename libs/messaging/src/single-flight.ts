import { Logger } from '@nestjs/common';

export interface SingleFlightOptions {
  /** Name in the logs. */
  name: string;
  /** Runs a pass on its own every this many ms (none when unset: only `kick()` starts one). */
  intervalMs?: number;
  logger?: Logger;
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
    this.running = this.pass()
      .then(
        () => undefined,
        (e) => this.logger.warn(`${this.options.name} pass failed, will retry: ${(e as Error)?.message ?? e}`),
      )
      .finally(() => {
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
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.kick();
      this.schedule();
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
