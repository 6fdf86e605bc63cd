/**
 * Following a task to its end: the gateway's event stream (GET …/events), falling back to waiting reads
 * (GET with `Prefer: wait`) when the stream is not available or breaks off.
 */
import { createParser } from 'eventsource-parser';
import type { ReelayClient, Task } from './client.js';

const ended = (task: Task) => task.status !== 'processing';

/** Calls `onUpdate` with each new state of the task and returns it once it has ended. */
export async function followTask(
  client: ReelayClient,
  taskId: string,
  onUpdate: (task: Task) => void,
): Promise<Task> {
  const path = `/v1/video/generations/${encodeURIComponent(taskId)}`;
  const streamed = await streamEvents(client, `${path}/events`, onUpdate).catch(() => null);
  if (streamed && ended(streamed)) return streamed;
  for (;;) {
    const task = await client.json<Task>('GET', path, { headers: { prefer: 'wait=20' } });
    onUpdate(task);
    if (ended(task)) return task;
  }
}

/** Reads the event stream until it closes; the last task it carried, or null when it carried none. */
async function streamEvents(
  client: ReelayClient,
  path: string,
  onUpdate: (task: Task) => void,
): Promise<Task | null> {
  const res = await fetch(client.baseUrl + path, {
    headers: { ...client.authorization(), accept: 'text/event-stream' },
  });
  if (!res.ok || !res.body) return null;
  let last: Task | null = null;
  const parser = createParser({
    onEvent(event) {
      if (event.event !== 'status') return;
      last = JSON.parse(event.data) as Task;
      onUpdate(last);
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }));
  return last;
}
