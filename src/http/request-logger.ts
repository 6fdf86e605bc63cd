/**
 * Fastify gives every request a child logger (bound to its reqId); building pino's child costs a few µs, and on
 * the query path almost no request logs anything. A request's logger here builds that child on first use only:
 * what gets logged (bindings, serializers, redaction, level) is the same child pino would have built up front.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
/** A log call's arguments: `(obj, msg?, …)` or `(msg, …)`, handed to pino's child as they came. */
type LogArgs = Parameters<FastifyBaseLogger['info']>;
type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

class LazyRequestLogger implements FastifyBaseLogger {
  private built: FastifyBaseLogger | null = null;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.built ??= this.parent.child(this.bindings, this.options));
  }

  /**
   * Whether a call at `level` would write: until the child is built and unless the request has a level of its own,
   * the parent's level decides (a vendor callback's info line, with info off, built a child for nothing).
   */
  private writes(level: LevelName): boolean {
    if (this.built || this.options?.level !== undefined) return true;
    const parent = this.parent as FastifyBaseLogger & { isLevelEnabled?(level: string): boolean };
    return parent.isLevelEnabled?.(level) ?? true;
  }

  get level(): FastifyBaseLogger['level'] {
    return this.built?.level ?? this.options?.level ?? this.parent.level;
  }

  set level(level: FastifyBaseLogger['level']) {
    this.real.level = level;
  }

  fatal(...args: LogArgs): void {
    if (this.writes('fatal')) this.real.fatal(...args);
  }

  error(...args: LogArgs): void {
    if (this.writes('error')) this.real.error(...args);
  }

  warn(...args: LogArgs): void {
    if (this.writes('warn')) this.real.warn(...args);
  }

  info(...args: LogArgs): void {
    if (this.writes('info')) this.real.info(...args);
  }

  debug(...args: LogArgs): void {
    if (this.writes('debug')) this.real.debug(...args);
  }

  trace(...args: LogArgs): void {
    if (this.writes('trace')) this.real.trace(...args);
  }

  silent(...args: LogArgs): void {
    this.real.silent(...args);
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: the request's logger, built when first used. */
export const lazyRequestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) => new LazyRequestLogger(logger, bindings, options);
