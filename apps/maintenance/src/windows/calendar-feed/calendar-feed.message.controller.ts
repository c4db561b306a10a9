import { CalendarFeed, CalendarFeedQuery, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CalendarFeedService } from './calendar-feed.service';

@Controller()
export class CalendarFeedMessageController {
  constructor(private readonly service: CalendarFeedService) {}

  @MessagePattern(Rpc.WindowCalendar)
  feed(@Payload() q: CalendarFeedQuery): Promise<CalendarFeed> {
    return this.service.execute(q);
  }
}
