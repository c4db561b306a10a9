import { AppError, WindowState } from '@sladesk/contracts';

export type WindowAction = 'start' | 'complete' | 'cancel' | 'reschedule';

/** Which state each action needs: a window is started once, completed once started, cancelled or moved only before it starts. */
const FROM: Record<WindowAction, WindowState> = {
  start: 'scheduled',
  complete: 'in_progress',
  cancel: 'scheduled',
  reschedule: 'scheduled',
};

export function assertCan(action: WindowAction, state: WindowState, id: string): void {
  if (FROM[action] === state) return;
  throw new AppError('MAINTENANCE_WINDOW.INVALID_TRANSITION', `Cannot ${action} window ${id}: it is ${state.replace('_', ' ')}${action === 'complete' && state === 'scheduled' ? ' (start it first)' : ''}`, {
    state,
    action,
    allowedFrom: FROM[action],
  });
}
