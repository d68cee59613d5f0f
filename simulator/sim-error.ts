// An answer the simulated Flxpoint gives on purpose (4xx). Bodies are plain text, like the undocumented real
// error bodies, and carry the phrases clients match on (`already acknowledged`, `duplicate tracking number`).

export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (msg: string) => new SimHttpError(400, msg);
export const notFound = (msg: string) => new SimHttpError(404, msg);
