// A burst of inquiries through REST, sent the way a careful client sends them: every request carries
// an Idempotency-Key, and any answer that is not final (a 5xx, a timeout, a connection that dropped)
// is retried with the same key and body, round-robin over the gateways, until it is answered or its
// deadline passes. Every answer is kept, so the audit can tell accepted from refused from unknown.
import { ADMIN_KEY, sleep } from './system.mjs';

const FINAL_4XX = (status) => status >= 400 && status < 500 && status !== 408 && status !== 429;

export class Burst {
  /**
   * @param gateways  base URLs
   * @param bodies    (i) => { accountId, ...inquiry }
   * @param ratePerSecond  0: as fast as `concurrency` allows; else a steady rate
   * @param replayEvery  every n-th accepted request is sent once more with its key (a client that lost
   *                     the answer): it must come back with the same case
   */
  constructor({
    gateways,
    size,
    tag,
    bodies,
    concurrency = 16,
    deadlineMs = 240_000,
    attemptTimeoutMs = 15_000,
    replayEvery = 10,
    ratePerSecond = 0,
  }) {
    Object.assign(this, {
      gateways,
      size,
      tag,
      bodies,
      concurrency,
      deadlineMs,
      attemptTimeoutMs,
      replayEvery,
      ratePerSecond,
    });
    this.requests = Array.from({ length: size }, (_, i) => ({
      i,
      key: `${tag}-${i}`,
      body: bodies(i),
      attempts: 0,
      answers: [],
    }));
    this.done = 0;
    this.accepted = 0;
    this.statuses = {}; // "201", "503 SERVICE.UNAVAILABLE", "network ECONNREFUSED", "timeout" → count
    this.replays = { sent: 0, sameCase: 0, otherCase: 0, failed: 0 };
  }

  count(label) {
    this.statuses[label] = (this.statuses[label] ?? 0) + 1;
  }

  async attempt(r, gateway) {
    const t0 = Date.now();
    try {
      const res = await fetch(`${gateway}/v1/cases`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          'content-type': 'application/json',
          'idempotency-key': r.key,
        },
        body: JSON.stringify(r.body),
        signal: AbortSignal.timeout(this.attemptTimeoutMs),
      });
      const text = await res.text();
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const label = res.ok ? String(res.status) : `${res.status} ${json?.code ?? '(no code)'}`;
      return {
        status: res.status,
        code: json?.code,
        id: res.ok ? json?.id : undefined,
        receivedAt: res.ok ? json?.receivedAt : undefined,
        label,
        ms: Date.now() - t0,
      };
    } catch (e) {
      const cause = e.name === 'TimeoutError' ? 'timeout' : `network ${e.cause?.code ?? e.message}`;
      return { status: 0, label: cause, ms: Date.now() - t0 };
    }
  }

  /** Sends one request until it gets a final answer (2xx or a 4xx) or its deadline passes. */
  async send(r) {
    r.firstAt = Date.now();
    for (let a = 0; ; a++) {
      const answer = await this.attempt(r, this.gateways[(r.i + a) % this.gateways.length]);
      r.attempts += 1;
      this.count(answer.label);
      r.answers.push(answer.label);
      if (answer.id) {
        r.caseId = answer.id;
        r.receivedAt = answer.receivedAt;
        r.acceptedAt = Date.now();
        this.accepted += 1;
        break;
      }
      if (answer.status && FINAL_4XX(answer.status)) {
        r.refused = answer.label;
        break;
      }
      if (Date.now() - r.firstAt > this.deadlineMs) {
        r.gaveUp = answer.label;
        break;
      }
      await sleep(Math.min(2000, 100 * 2 ** Math.min(a, 5)) * (0.5 + Math.random()));
    }
    r.lastAt = Date.now();
    if (r.caseId && this.replayEvery > 0 && r.i % this.replayEvery === 0) await this.replay(r);
  }

  async replay(r) {
    this.replays.sent += 1;
    for (let a = 0; a < 20; a++) {
      const answer = await this.attempt(r, this.gateways[(r.i + a + 1) % this.gateways.length]);
      if (answer.id) {
        if (answer.id === r.caseId) this.replays.sameCase += 1;
        else {
          this.replays.otherCase += 1;
          r.replayedCaseId = answer.id;
        }
        return;
      }
      if (answer.status && FINAL_4XX(answer.status)) break;
      await sleep(250 * (a + 1));
    }
    this.replays.failed += 1;
  }

  /** Runs the burst; `onProgress(done, burst)` after every request. */
  async run(onProgress = () => undefined) {
    let next = 0;
    this.startedAt = Date.now();
    await Promise.all(
      Array.from({ length: Math.min(this.concurrency, this.size) }, async () => {
        while (next < this.size) {
          const r = this.requests[next++];
          // A steady rate (soak): request i leaves no earlier than i / rate seconds after the start.
          if (this.ratePerSecond > 0)
            await sleep(this.startedAt + (r.i * 1000) / this.ratePerSecond - Date.now());
          await this.send(r);
          this.done += 1;
          onProgress(this.done, this);
        }
      }),
    );
    this.endedAt = Date.now();
    return this;
  }

  summary() {
    const seconds = ((this.endedAt ?? Date.now()) - this.startedAt) / 1000;
    return {
      size: this.size,
      seconds: Math.round(seconds),
      acceptedPerSecond: Math.round((this.accepted / seconds) * 10) / 10,
      accepted: this.accepted,
      retriedRequests: this.requests.filter((r) => r.attempts > 1).length,
      answers: Object.fromEntries(Object.entries(this.statuses).sort((a, b) => b[1] - a[1])),
      replays: this.replays,
    };
  }
}
