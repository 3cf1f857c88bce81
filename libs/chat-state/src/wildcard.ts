// ListUsers patterns: `*` matches any run of characters (including none), everything else
// is literal; case-insensitive, whole-string. A small greedy matcher that backtracks only
// to the last `*`, so no regular expression is ever built from user input.

export function matchesPattern(pattern: string, username: string): boolean {
  if (pattern === "") return true;
  const p = pattern.toLowerCase();
  const s = username.toLowerCase();
  let pi = 0;
  let si = 0;
  let starPi = -1; // position of the last `*` seen in the pattern
  let starSi = 0; // where in the name that `*` currently stops
  while (si < s.length) {
    if (pi < p.length && p[pi] === "*") {
      starPi = pi;
      starSi = si;
      pi += 1;
    } else if (pi < p.length && p[pi] === s[si]) {
      pi += 1;
      si += 1;
    } else if (starPi >= 0) {
      starSi += 1; // let the last `*` swallow one more character and retry
      pi = starPi + 1;
      si = starSi;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi += 1;
  return pi === p.length;
}

/** The lower-cased literal text before the first `*`: every match starts with it. */
export function literalPrefix(pattern: string): string {
  const star = pattern.indexOf("*");
  return (star < 0 ? pattern : pattern.slice(0, star)).toLowerCase();
}
