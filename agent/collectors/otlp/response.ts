/**
 * OTLP answers in both encodings: `ExportMetricsServiceResponse` (partial_success = 1 {rejected_data_points = 1,
 * error_message = 2}) on success, and `google.rpc.Status` (code = 1, message = 2) on failure, as the OTLP/HTTP
 * specification asks (the body's encoding follows the request's Content-Type).
 */

function varint(n: number, out: number[]): void {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

function field(num: number, wt: number, out: number[]): void {
  varint((num << 3) | wt, out);
}

function bytesField(num: number, body: Buffer | number[], out: number[]): void {
  field(num, 2, out);
  varint(body.length, out);
  for (const b of body) out.push(b);
}

export function exportResponseProto(rejected: number, message: string): Buffer {
  if (rejected === 0 && message === '') return Buffer.alloc(0);
  const ps: number[] = [];
  if (rejected > 0) {
    field(1, 0, ps);
    varint(rejected, ps);
  }
  if (message !== '') bytesField(2, Buffer.from(message, 'utf8'), ps);
  const out: number[] = [];
  bytesField(1, ps, out);
  return Buffer.from(out);
}

export function exportResponseJson(rejected: number, message: string): Buffer {
  const body = rejected === 0 && message === '' ? {} : { partialSuccess: { rejectedDataPoints: String(rejected), errorMessage: message } };
  return Buffer.from(JSON.stringify(body));
}

/** gRPC status codes used in google.rpc.Status bodies. */
export const kInvalidArgument = 3;
export const kResourceExhausted = 8;
export const kUnavailable = 14;

export function statusProto(code: number, message: string): Buffer {
  const out: number[] = [];
  field(1, 0, out);
  varint(code, out);
  bytesField(2, Buffer.from(message, 'utf8'), out);
  return Buffer.from(out);
}

export function statusJson(code: number, message: string): Buffer {
  return Buffer.from(JSON.stringify({ code, message }));
}
