// Channel credentials from the `tlsCa` option or CHAT_TLS_CA: TLS that trusts the cluster's
// CA, or plain text when neither is set. A CA that cannot be read is the caller's mistake and
// fails connect() at once with one clear line.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { muteIpServernameWarning } from "@chat-tui/proto";
import { ChatError } from "./errors.js";

const pemMarker = "-----BEGIN";

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ChatError("invalid-argument", `cannot read the TLS CA file ${path} (${code})`);
  }
}

export function channelCredentials(
  option: string | Buffer | undefined,
  env: Record<string, string | undefined> = process.env,
): { credentials: grpc.ChannelCredentials; ca: Buffer | undefined } {
  const source = option ?? (env["CHAT_TLS_CA"]?.trim() || undefined);
  if (source === undefined) return { credentials: grpc.credentials.createInsecure(), ca: undefined };
  const pem = Buffer.isBuffer(source) ? source : source.startsWith(pemMarker) ? Buffer.from(source) : readCa(source);
  if (!pem.includes(pemMarker)) {
    throw new ChatError("invalid-argument", "the TLS CA is not a PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  muteIpServernameWarning();
  return { credentials: grpc.credentials.createSsl(pem), ca: pem };
}
