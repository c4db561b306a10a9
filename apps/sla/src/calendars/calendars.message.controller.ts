import { CalendarView, CreateCalendarRequest, GetCalendarQuery, ListCalendarsQuery, SlaRpc, UpdateCalendarCommand } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CalendarsService } from './calendars.service';

@Controller()
export class CalendarsMessageController {
  constructor(private readonly calendars: CalendarsService) {}

  @MessagePattern(SlaRpc.CalendarCreate)
  create(@Payload() req: CreateCalendarRequest): Promise<CalendarView> {
    return this.calendars.create(req);
  }

  @MessagePattern(SlaRpc.CalendarList)
  list(@Payload() q: ListCalendarsQuery): Promise<CalendarView[]> {
    return this.calendars.list(q);
  }

  @MessagePattern(SlaRpc.CalendarGet)
  get(@Payload() q: GetCalendarQuery): Promise<CalendarView> {
    return this.calendars.get(q.id);
  }

  @MessagePattern(SlaRpc.CalendarUpdate)
  update(@Payload() cmd: UpdateCalendarCommand): Promise<CalendarView> {
    return this.calendars.update(cmd);
  }
}
