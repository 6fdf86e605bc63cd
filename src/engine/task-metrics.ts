/** A task's end as metrics count it: by model, the vendor of the channel that ended it, and the outcome. */
import type { EndedTask } from '../store/tasks.js';
import { cancelledCode } from '../store/task-cancel.js';
import type { EngineDeps } from './deps.js';

export function meterTaskEnd(deps: EngineDeps, ended: EndedTask): void {
  const outcome = ended.errorCode === cancelledCode ? 'cancelled' : ended.status;
  const count = (vendor: string) => deps.metrics.taskEnded({ ...ended, vendor, outcome });
  if (!ended.channelId) return count('none');
  // The directory's cached list (a miss must not reload it); a channel deleted since is counted as such.
  deps.channels.list().then(
    (channels) => count(channels.find((channel) => channel.id === ended.channelId)?.vendor ?? 'deleted'),
    () => count('unknown'),
  );
}
