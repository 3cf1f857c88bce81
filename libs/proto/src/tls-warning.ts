// grpc-js passes the target host as the TLS server name, and Node prints a deprecation warning
// (DEP0123) to stderr the first time that name is an IP address — which cluster addresses
// usually are. The certificate is still checked against the IP; only the SNI hint is dropped.
// In a full-screen terminal UI a stray stderr line corrupts the screen, so TLS users call this
// once to drop exactly that warning and nothing else.
let muted = false;

export function muteIpServernameWarning(): void {
  if (muted) return;
  muted = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const code = typeof rest[0] === "object" ? (rest[0] as { code?: unknown } | null)?.code : rest[1];
    if (code === "DEP0123") return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
