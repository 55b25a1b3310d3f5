import { z } from "zod";
import { UsageError } from "../errors.ts";

/** An answer other than 2xx, with a message the caller can act on. `field` names the input at fault. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, `${what} does not exist`);

/** "sources: unknown source …" → field "sources". */
export function fieldOf(message: string): string | undefined {
  const m = /^([A-Za-z][\w.[\]-]*): /.exec(message);
  return m?.[1];
}

/** A UsageError from shared validation (watchlists, CLI parsers) as a 400 naming its field. */
export function fromUsage(err: UsageError): ApiError {
  if (/ does not exist/.test(err.message)) return new ApiError(404, err.message);
  if (/ is (open|acked|resolved), not /.test(err.message)) return new ApiError(409, err.message);
  return new ApiError(400, err.message, fieldOf(err.message));
}

/** One "field: problem" line per zod issue. */
export function zodMessages(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((i) => {
    const field = i.path.length ? i.path.map(String).join(".") : "body";
    let message = i.message;
    if (i.code === "unrecognized_keys") message = `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`;
    return { field, message };
  });
}

/**
 * Parses input with a zod schema; a failure is a 400 whose message names every field and its problem.
 */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const r = schema.safeParse(data ?? {});
  if (r.success) return r.data;
  const problems = zodMessages(r.error);
  throw new ApiError(
    400,
    problems.map((p) => `${p.field}: ${p.message}`).join("; "),
    problems[0]?.field,
    problems,
  );
}
