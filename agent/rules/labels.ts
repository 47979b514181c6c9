/** A label set's identity: its pairs sorted by name (the key of an alert or a recorded series). */
import type { Labels } from '../store/types';

export function labelsKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}
