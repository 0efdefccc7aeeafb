import pino, { type Logger } from "pino";

export function createLogger(options: { level: string; pretty?: boolean }): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY;
  return pino({
    level: options.level,
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "*.password", "*.secret"],
      censor: "****",
    },
    ...(pretty
      ? { transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss" } } }
      : {}),
  });
}

/**
 * The pg driver warns (DEP0169-style) about concurrent client.query() calls made inside the engine; it is
 * harmless and not the user's concern. Every other warning still prints.
 */
export function silenceKnownDependencyWarnings(): void {
  const printers = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "DeprecationWarning" && /client\.query\(\)/.test(warning.message)) return;
    for (const print of printers) print(warning);
  });
}
