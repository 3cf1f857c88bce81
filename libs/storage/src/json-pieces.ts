// JSON.stringify in pieces, so a writer can yield to the event loop between them (R9). A
// snapshot's header holds whole tables (accounts, sessions, every retained request and send
// key): one JSON.stringify of it took seconds at 300k sends, long enough for the node to see
// itself as paused and step down. The pieces concatenate to exactly JSON.stringify(value) for
// plain data (objects, arrays, strings, numbers, booleans, null); the file format is unchanged.

/** Array elements stringified per piece. */
const elementsPerPiece = 2_000;

function plainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    && typeof (value as { toJSON?: unknown }).toJSON !== "function";
}

export function* jsonPieces(value: unknown): Generator<string> {
  if (Array.isArray(value)) {
    if (value.length <= elementsPerPiece) {
      yield JSON.stringify(value);
      return;
    }
    for (let from = 0; from < value.length; from += elementsPerPiece) {
      const run = value.slice(from, from + elementsPerPiece).map((v) => JSON.stringify(v) ?? "null");
      yield `${from === 0 ? "[" : ","}${run.join(",")}`;
    }
    yield "]";
    return;
  }
  if (!plainObject(value)) {
    yield JSON.stringify(value);
    return;
  }
  let first = true;
  yield "{";
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    yield `${first ? "" : ","}${JSON.stringify(key)}:`;
    first = false;
    yield* jsonPieces(item);
  }
  yield "}";
}
