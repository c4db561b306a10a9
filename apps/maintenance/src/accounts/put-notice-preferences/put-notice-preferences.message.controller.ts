import { NoticePreferencesView, PutNoticePreferencesCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PutNoticePreferencesService } from './put-notice-preferences.service';

@Controller()
export class PutNoticePreferencesMessageController {
  constructor(private readonly service: PutNoticePreferencesService) {}

  @MessagePattern(Rpc.NoticePreferencesPut)
  put(@Payload() cmd: PutNoticePreferencesCommand): Promise<NoticePreferencesView> {
    return this.service.execute(cmd);
  }
}
