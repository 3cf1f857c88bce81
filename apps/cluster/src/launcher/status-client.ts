// Asks nodes for ClusterService status, with a deadline; used by `up`, `status` and tests.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  ClusterService,
  GetStatusRequestSchema,
  clientFor,
  muteIpServernameWarning,
  type ClusterStatus,
} from "@chat-tui/proto";

const ClusterClient = clientFor(ClusterService);

export type Credentials = grpc.ChannelCredentials;
const plain = grpc.credentials.createInsecure();
export const plainCredentials: Credentials = plain;

/** Channel credentials that trust `caFile` (a PEM CA), or plain text without one. */
export function credentialsFor(caFile: string | undefined): Credentials {
  if (caFile === undefined) return plain;
  muteIpServernameWarning();
  return grpc.credentials.createSsl(readFileSync(caFile));
}

export async function getStatus(address: string, deadlineMs = 1000, credentials = plain): Promise<ClusterStatus> {
  const client = new ClusterClient(address, credentials, {
    "grpc.initial_reconnect_backoff_ms": 100,
    "grpc.max_reconnect_backoff_ms": 500,
  });
  try {
    return await new Promise<ClusterStatus>((resolve, reject) =>
      client.getStatus(create(GetStatusRequestSchema), new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (err, res) => (err || !res ? reject(err ?? new Error("empty reply")) : resolve(res))));
  } finally {
    client.close();
  }
}

/** The first answer that names a primary which itself reports being primary. */
export async function findPrimary(addresses: string[], credentials = plain): Promise<ClusterStatus | undefined> {
  const answers = await Promise.allSettled(addresses.map((a) => getStatus(a, 700, credentials)));
  for (const answer of answers) {
    if (answer.status !== "fulfilled") continue;
    const s = answer.value;
    const primary = s.nodes.find((n) => n.id === s.primaryId);
    if (s.primaryId >= 0 && primary?.role === "primary" && s.reporterId === s.primaryId) return s;
  }
  return undefined;
}

/** Merges what each node says of itself into one table (a node that does not answer is down). */
export async function surveyCluster(addresses: string[], credentials = plain): Promise<SurveyRow[]> {
  const answers = await Promise.allSettled(addresses.map((a) => getStatus(a, 700, credentials)));
  return addresses.map((address, i) => {
    const answer = answers[i]!;
    if (answer.status !== "fulfilled") return { address, role: "down" };
    const s = answer.value;
    const self = s.nodes.find((n) => n.id === s.reporterId);
    return {
      address,
      id: s.reporterId,
      role: self?.role ?? "unknown",
      loading: self?.loading ?? false,
      epoch: Number(self?.epoch ?? s.epoch),
      commitIndex: Number(self?.commitIndex ?? 0n),
      lastIndex: Number(self?.lastIndex ?? 0n),
      inView: self?.inView ?? false,
      primaryId: s.primaryId,
    };
  });
}

export interface SurveyRow {
  address: string;
  id?: number;
  role: string;
  epoch?: number;
  commitIndex?: number;
  lastIndex?: number;
  inView?: boolean;
  primaryId?: number;
  /** Restoring or catching up its state: it would serve late if elected. */
  loading?: boolean;
}

export function renderTable(rows: SurveyRow[], pids?: Map<string, number | undefined>): string {
  const header = ["node", "address", "role", "epoch", "commit", "last", "in view", ...(pids ? ["pid"] : [])];
  const body = rows.map((r) => [
    r.id === undefined ? "?" : String(r.id), r.address, r.role + (r.loading ? " (loading)" : ""),
    r.epoch === undefined ? "-" : String(r.epoch),
    r.commitIndex === undefined ? "-" : String(r.commitIndex),
    r.lastIndex === undefined ? "-" : String(r.lastIndex),
    r.inView === undefined ? "-" : r.inView ? "yes" : "no",
    ...(pids ? [String(pids.get(r.address) ?? "-")] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...body.map(line)].join("\n");
}
