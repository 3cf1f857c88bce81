// Binary search over ascending arrays (seq lists, the sorted username list).

/** The first position whose element is >= `target` (array length if none). */
export function firstIndexAtLeast<T extends number | string>(
  sorted: readonly T[],
  target: T
): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as T) < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The first position whose element is > `target` (array length if none). */
export function firstIndexAbove<T extends number | string>(
  sorted: readonly T[],
  target: T
): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as T) <= target) low = mid + 1;
    else high = mid;
  }
  return low;
}
