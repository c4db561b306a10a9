import { Streams } from '@sladesk/contracts';
import { startNatsCluster } from '@sladesk/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsBus, streamReplicas } from '../src';

describe('streams on a NATS cluster', () => {
  it('reads SLADESK_STREAM_REPLICAS (1 unless set) and refuses nonsense', () => {
    expect(streamReplicas({})).toBe(1);
    expect(streamReplicas({ SLADESK_STREAM_REPLICAS: '3' })).toBe(3);
    expect(() => streamReplicas({ SLADESK_STREAM_REPLICAS: 'three' })).toThrow(/SLADESK_STREAM_REPLICAS/);
    expect(() => streamReplicas({ SLADESK_STREAM_REPLICAS: '7' })).toThrow(/SLADESK_STREAM_REPLICAS/);
  });

  it('are R3 on three nodes, keep taking writes with a node killed, and the node catches up when back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sladesk-nats-cluster-'));
    const cluster = await startNatsCluster({ dataDir: dir });
    const bus = await NatsBus.connect(cluster.url, 'sladesk-spec');
    try {
      await bus.ensureStreams({ replicas: 3 });
      for (const { name } of Object.values(Streams)) {
        const info = await bus.jsm.streams.info(name);
        expect(info.config.num_replicas).toBe(3);
        expect(info.cluster?.replicas).toHaveLength(2);
      }
      await bus.ensureStreams({ replicas: 3 }); // every service runs it at boot: an update, not an error

      // While the streams elect a new leader a publish finds no responder; a publisher retries (the
      // outbox relay does, with backoff) under the same Nats-Msg-Id, so a retry never stores twice.
      const publish = async (i: number) => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          try {
            return await bus.js.publish('sladesk.evt.spec.probe.v1', new TextEncoder().encode(String(i)), {
              msgID: `probe-${i}`,
              timeout: 5_000,
            });
          } catch (e) {
            if (Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      };
      await cluster.kill(0);
      const seqs = new Set<number>();
      for (let i = 0; i < 20; i++) seqs.add((await publish(i)).seq);
      expect((await publish(0)).duplicate).toBe(true);
      expect(seqs.size).toBe(20);
      await cluster.start(0);
      const info = await bus.jsm.streams.info(Streams.Events.name);
      expect(info.state.messages).toBe(20);
      expect(info.cluster?.replicas?.every((r) => r.current)).toBe(true);
    } finally {
      await bus.close();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
