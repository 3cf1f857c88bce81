// JSON.stringify in pieces, so a writer can yield to the event loop between them (R9). A
// snapshot's header holds whole tables (accounts, sessions, every retained request and send
// key): one JSON.stringify of it took seconds at 300k sends, long enough for the node to see
// itself as paused and step down. The pieces concatenate to exactly JSON.stringify(value) for
// plain data (objects, arrays, strings, numbers, booleans, null) and for values with a toJSON
// that does not look at its key (a nested one is given "" here); the file format is unchanged.

/** A piece ends after this many array elements (by default) or characters, whichever comes first. */
const elementsPerPieceDefault = 2_000;
const charsPerPiece = 1 << 20;

function plainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null)
    && typeof (value as { toJSON?: unknown }).toJSON !== "function";
}

export function* jsonPieces(value: unknown, elementsPerPiece = elementsPerPieceDefault): Generator<string> {
  if (Array.isArray(value)) {
    // Elements are stringified one by one (an array of a few huge elements — a snapshot's
    // chunks — must not become one piece), and gathered into pieces of bounded size.
    let run: string[] = [];
    let chars = 0;
    let first = true;
    const piece = (): string => {
      const text = `${first ? "[" : ","}${run.join(",")}`;
      first = false;
      run = [];
      chars = 0;
      return text;
    };
    for (const element of value) {
      const text = JSON.stringify(element) ?? "null";
      run.push(text);
      chars += text.length;
      if (run.length >= elementsPerPiece || chars >= charsPerPiece) yield piece();
    }
    if (run.length > 0 || first) yield piece();
    yield "]";
    return;
  }
  if (!plainObject(value)) {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) throw new Error(`not JSON: ${typeof value}`);
    yield text;
    return;
  }
  let first = true;
  yield "{";
  for (const [key, item] of Object.entries(value)) {
    const nested = plainObject(item) || Array.isArray(item);
    const text = nested ? undefined : (JSON.stringify(item) as string | undefined);
    // What JSON.stringify leaves out of an object: undefined, functions, symbols, and values
    // whose toJSON gives undefined.
    if (!nested && text === undefined) continue;
    yield `${first ? "" : ","}${JSON.stringify(key)}:`;
    first = false;
    if (nested) yield* jsonPieces(item, elementsPerPiece);
    else yield text!;
  }
  yield "}";
}
