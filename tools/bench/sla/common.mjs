// Shared by the benchmark's processes: lateness statistics and peak memory.
import { readFileSync } from 'node:fs';

export function percentiles(values, count) {
  const a = Float64Array.from(values.subarray(0, count)).sort();
  const at = (p) => (a.length ? a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))] : NaN);
  return { p50: at(50), p90: at(90), p99: at(99), max: a.length ? a[a.length - 1] : NaN };
}

/** Peak resident memory of this process (VmHWM), in MB. */
export function peakRssMb() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.memoryUsage().rss / 1048576);
}

/** Resident memory of another process, in MB. */
export function rssOfMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** What every fired timer does in both systems: optionally publish a JetStream message with a dedup id. */
export async function makeHandlerSink(natsUrl, mode) {
  if (mode !== 'publish') return { publish: async () => undefined, close: async () => undefined };
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: natsUrl });
  const js = jetstream(nc);
  const body = new TextEncoder().encode('{}');
  return {
    publish: (subject, msgID) => js.publish(subject, body, { msgID }),
    close: () => nc.drain(),
  };
}
