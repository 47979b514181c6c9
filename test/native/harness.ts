// Shared-suite harness: every primitive's suite runs once against the native
// implementation and once against its TS twin. The native run is skipped,
// with the loader's reason, only when the addon is unavailable.
import type { Test } from 'tap';
import { nativeStatus } from '../../agent/native';

export type Tap = Test;
export type ImplKind = 'native' | 'twin';

export function bothImpls<T>(
  tap: Tap,
  name: string,
  impls: { native: () => T; twin: () => T },
  suite: (t: Tap, impl: T, kind: ImplKind) => Promise<void> | void,
): void {
  const status = nativeStatus();
  const skip = status.available ? false : `native addon unavailable: ${status.reason}`;
  tap.test(`${name} [native]`, { skip }, async (tt) => {
    await suite(tt as Tap, impls.native(), 'native');
  });
  tap.test(`${name} [twin]`, async (tt) => {
    await suite(tt as Tap, impls.twin(), 'twin');
  });
}

export function expectCode(tt: Tap, fn: () => unknown, code: string, msg?: string): void {
  tt.throws(fn, { code }, msg ?? `throws ${code}`);
}

export async function expectRejectCode(tt: Tap, p: Promise<unknown>, code: string, msg?: string): Promise<void> {
  await tt.rejects(p, { code }, msg ?? `rejects ${code}`);
}
