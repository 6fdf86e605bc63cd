/** The unified video request: what every surface's body becomes, what a task stores, what each job is made from. */
import type { VideoJob } from '../vendors/adapter.js';

/** What Reelay stores for a task and hands (one job at a time) to an adapter. */
export interface VideoRequest extends Omit<VideoJob, 'upstreamModel' | 'externalId' | 'vendorCallbackUrl'> {
  /** Vendor-specific fields, minus the ones Reelay handles itself (callback_url). */
  metadata: Record<string, unknown>;
  n: number;
  endUser: string | null;
  callbackUrl: string | null;
  /** The client's own id for the task (Kling's external_task_id), echoed by its native surface. */
  clientTaskId?: string;
  /** Set for a remix (POST /v1/videos/{id}/remix): the video it starts from, on the channel that made it. */
  remix?: RemixSource;
}

export interface RemixSource {
  /** The public id of the task remixed. */
  sourceTaskId: string;
  channelId: string;
  upstreamTaskId: string;
}
