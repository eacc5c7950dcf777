/** Structured JSON logs, one object a line. The caller chooses where lines go. */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Errors become `{code, message}`: stacks and causes stay out of logs, and so do the secrets they might carry. */
function serialise(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { code: (value as { code?: unknown }).code ?? value.name, message: value.message }
        : value;
  }
  return out;
}

export function createLogger(options: {
  write: (line: string) => void;
  level?: LogLevel;
  fields?: LogFields;
  now?: () => Date;
}): Logger {
  const min = rank[options.level ?? "info"];
  const base = options.fields ?? {};
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (rank[level] < min) return;
    options.write(`${JSON.stringify({ time: now().toISOString(), level, msg, ...base, ...serialise(fields) })}\n`);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything, for tests and one-shot commands. */
export const silentLogger: Logger = createLogger({ write: () => {}, level: "error" });
