/** Reads a server-sent event stream to its end, as a client would. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { request } from 'undici';

export interface StreamRead {
  status: number;
  contentType: string | undefined;
  events: EventSourceMessage[];
  /** Comment lines (heartbeats), without the leading colon. */
  comments: string[];
}

export async function readEventStream(
  url: string,
  token: string,
  headers: Record<string, string> = {},
  /** Stop reading (and close) after this many events; the rest of the stream is not waited for. */
  maxEvents = Infinity,
): Promise<StreamRead> {
  const res = await request(url, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onComment: (comment) => comments.push(comment.trim()),
  });
  const contentType = res.headers['content-type'] as string | undefined;
  for await (const chunk of res.body) {
    parser.feed(chunk.toString());
    if (events.length >= maxEvents) {
      res.body.destroy();
      break;
    }
  }
  return { status: res.statusCode, contentType, events, comments };
}
