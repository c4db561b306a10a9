import { EnvBoolean, loadConfig, ServiceEnv } from './config';

class WithFlag extends ServiceEnv {
  @EnvBoolean()
  SLADESK_FLAG: boolean = true;
}

describe('EnvBoolean', () => {
  const load = (v?: string) => loadConfig(WithFlag, { NATS_URL: 'nats://x:4222', MONGO_URL: 'mongodb://x/y', ...(v === undefined ? {} : { SLADESK_FLAG: v }) }, { exitOnError: false });

  it('reads false as false (implicit conversion would make any non-empty string true)', () => {
    expect(load('false').SLADESK_FLAG).toBe(false);
    expect(load('0').SLADESK_FLAG).toBe(false);
    expect(load('true').SLADESK_FLAG).toBe(true);
    expect(load('1').SLADESK_FLAG).toBe(true);
    expect(load().SLADESK_FLAG).toBe(true);
  });

  it('refuses anything else at boot', () => {
    expect(() => load('yes')).toThrow(/SLADESK_FLAG/);
  });
});
