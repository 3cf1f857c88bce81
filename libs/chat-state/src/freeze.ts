// Stored values (dedup outcomes, sessions, accounts, messages) are frozen, so a caller can
// never change state through an outcome it was handed, and a capture can share them.

export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
