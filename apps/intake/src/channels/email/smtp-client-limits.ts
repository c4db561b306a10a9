/**
 * What one client address may hold and start at the SMTP listener: open connections, and mails per
 * fixed window. In memory, per intake process: each instance limits what reaches it (a load balancer
 * in front spreads a client over instances, so the effective limit is per instance).
 */
export class SmtpClientLimits {
  private readonly open = new Map<string, Set<string>>();
  private readonly started = new Map<string, { windowStart: number; count: number }>();

  constructor(
    private readonly maxConnectionsPerIp: number,
    private readonly ratePerIp: number,
    private readonly windowMs: number,
  ) {}

  /** Counts a new connection of `ip`; false (and nothing counted) when the address already holds its maximum. */
  connect(ip: string, sessionId: string): boolean {
    const sessions = this.open.get(ip) ?? new Set<string>();
    if (sessions.size >= this.maxConnectionsPerIp) return false;
    sessions.add(sessionId);
    this.open.set(ip, sessions);
    return true;
  }

  /** Forgets a connection; one that was refused (never counted) changes nothing. */
  disconnect(ip: string, sessionId: string): void {
    const sessions = this.open.get(ip);
    if (!sessions?.delete(sessionId)) return;
    if (sessions.size === 0) this.open.delete(ip);
  }

  /**
   * Counts a mail started by `ip` in the current fixed window. Answers the milliseconds until the
   * window ends when the address is over its limit, else undefined.
   */
  startMail(ip: string, now = Date.now()): number | undefined {
    if (this.ratePerIp === 0) return undefined;
    const windowStart = now - (now % this.windowMs);
    const w = this.started.get(ip);
    const current = w && w.windowStart === windowStart ? w : { windowStart, count: 0 };
    if (current.count >= this.ratePerIp) return windowStart + this.windowMs - now;
    current.count += 1;
    this.started.set(ip, current);
    if (this.started.size > 10_000) this.sweep(windowStart);
    return undefined;
  }

  /** Ended windows are dropped, so many passing addresses do not grow the map for ever. */
  private sweep(windowStart: number): void {
    for (const [ip, w] of this.started) if (w.windowStart < windowStart) this.started.delete(ip);
  }
}
