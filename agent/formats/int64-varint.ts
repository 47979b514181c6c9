/**
 * The int64 whose protobuf varint is `buf[start, end)`, exact for negative values (their 64-bit two's complement,
 * ten bytes), which summing the bytes' groups in doubles rounds to a multiple of 2048 or more. Readers call it only
 * for a varint that read as 2^63 or more.
 */
export function int64FromVarintBytes(buf: Uint8Array, start: number, end: number): number {
  let u = 0n;
  for (let i = end - 1; i >= start; i--) u = (u << 7n) | BigInt(buf[i]! & 127);
  return Number(BigInt.asIntN(64, u));
}
