import { CalendarSpec, CompiledCalendar, compileCalendar } from '@sladesk/business-time';
import { Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';

const TTL_MS = 60_000;
const RPC_TIMEOUT_MS = 3_000;

interface Cached<T> {
  value: T;
  until: number;
}

/**
 * The support-hours calendar of an SLA policy, asked of the sla service (which owns calendars and
 * policies) and kept a minute: at most two requests per policy and minute, compiled once per version.
 */
@Injectable()
export class SupportCalendars {
  private readonly policies = new Map<string, Cached<string>>();
  private readonly calendars = new Map<string, Cached<{ key: string; spec: CalendarSpec }>>();
  private readonly compiled = new Map<string, CompiledCalendar>();

  constructor(private readonly bus: NatsBus) {}

  async ofPolicy(policyId: string, now = Date.now()): Promise<{ calendar: CompiledCalendar; basis: string }> {
    const calendarId = await this.cached(this.policies, policyId, now, async () => (await this.bus.request(Rpc.SlaPolicyGet, { id: policyId }, { timeoutMs: RPC_TIMEOUT_MS })).calendarId);
    const { key, spec } = await this.cached(this.calendars, calendarId, now, async () => {
      const view = await this.bus.request(Rpc.CalendarGet, { id: calendarId }, { timeoutMs: RPC_TIMEOUT_MS });
      return { key: `${view.id}:${view.version}`, spec: view.spec as unknown as CalendarSpec };
    });
    let calendar = this.compiled.get(key);
    if (!calendar) {
      calendar = compileCalendar(spec);
      this.compiled.set(key, calendar);
    }
    return { calendar, basis: key };
  }

  private async cached<T>(map: Map<string, Cached<T>>, key: string, now: number, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = await load();
    map.set(key, { value, until: now + TTL_MS });
    return value;
  }
}
