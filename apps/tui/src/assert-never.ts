// Exhaustive switches end here: a union member without a case fails to compile.
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
