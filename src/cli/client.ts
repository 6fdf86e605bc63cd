/** The CLI's view of a Reelay gateway: JSON over HTTP with an API key or the admin token, errors in words. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

/** A task as GET /v1/video/generations/{task_id} answers it (the fields the CLI reads). */
export interface Task {
  task_id: string;
  status: 'processing' | 'succeeded' | 'failed';
  url: string | null;
  model: string;
  progress: number;
  error: { code: string; message: string } | null;
  created_at: number | null;
  completed_at: number | null;
  /** Event streams only: how many wait ahead in the vendor's queue, where the vendor says. */
  queue_position?: number;
  [field: string]: unknown;
}

/** Something the user asked for that cannot work as given: exit code 2. */
export class UsageError extends Error {}

/** The gateway refused or failed a request; `status` is its HTTP status (0 when it could not be reached). */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Connection {
  baseUrl: string;
  apiKey?: string;
  adminToken?: string;
}

export class ReelayClient {
  constructor(private readonly connection: Connection) {}

  get baseUrl(): string {
    return this.connection.baseUrl.replace(/\/+$/, '');
  }

  /** Headers that authenticate as the key holder (or the operator, for admin routes). */
  authorization(admin = false): Record<string, string> {
    const token = admin ? this.connection.adminToken : this.connection.apiKey;
    if (!token) {
      throw new UsageError(
        admin
          ? 'No admin token: set REELAY_ADMIN_TOKEN or pass --admin-token'
          : 'No API key: set REELAY_API_KEY or pass --api-key',
      );
    }
    return { authorization: `Bearer ${token}` };
  }

  async json<T = unknown>(
    method: string,
    path: string,
    {
      body,
      admin = false,
      headers = {},
    }: { body?: unknown; admin?: boolean; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const url = this.baseUrl + path;
    const authorization = this.authorization(admin);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...authorization,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new GatewayError(
        `Cannot reach ${this.baseUrl}: ${(err as Error).cause ?? (err as Error).message}`,
        0,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok)
      throw new GatewayError(errorMessage(parsed) ?? `HTTP ${res.status}: ${text.slice(0, 200)}`, res.status);
    return parsed as T;
  }
}

/** The message of either surface's error shape ({message, param} or OpenAI's {error: {message, param}}). */
function errorMessage(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const error = ('error' in body && typeof body.error === 'object' ? body.error : body) as Record<
    string,
    unknown
  >;
  if (typeof error?.message !== 'string') return null;
  return typeof error.param === 'string' ? `${error.message} (${error.param})` : error.message;
}

const imageTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

/** An --image value as the API takes it: URLs and data URLs as given, a local file as a data URL. */
export async function imageArgument(value: string): Promise<string> {
  if (/^(https?:|data:)/i.test(value)) return value;
  const type = imageTypes[extname(value).toLowerCase()];
  if (!type)
    throw new UsageError(`${value}: not an image file this CLI knows (.png, .jpg, .jpeg, .webp, .gif)`);
  let bytes: Buffer;
  try {
    bytes = await readFile(value);
  } catch (err) {
    throw new UsageError(
      `${value}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  return `data:${type};base64,${bytes.toString('base64')}`;
}
