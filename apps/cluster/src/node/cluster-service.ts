// ClusterService: what this node knows of the cluster, now and at every change. No auth.
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  ClusterService,
  ClusterStatusSchema,
  RecoverResponseSchema,
  type ClusterStatus,
  type ServiceImpl,
} from "@chat-tui/proto";
import type { ClusterView, Pipeline } from "./pipeline.js";
import { holdsSecret, secretDigestOf, secretMetadataKey } from "./replica-transport.js";

export function toClusterStatus(view: ClusterView): ClusterStatus {
  return create(ClusterStatusSchema, {
    epoch: BigInt(view.epoch),
    primaryId: view.primaryId,
    reporterId: view.reporterId,
    nodes: view.nodes.map((n) => ({
      id: n.id,
      address: n.address,
      role: n.role,
      epoch: BigInt(n.epoch),
      commitIndex: BigInt(n.commitIndex),
      lastIndex: BigInt(n.lastIndex),
      inView: n.inView,
      loading: n.loading,
    })),
  });
}

/** Coalesces bursts of changes (every commit changes the commit index) to one update per tick. */
const watchIntervalMs = 100;

/**
 * `secret`: the cluster secret. A digest hashes the whole state on the event loop, so only a
 * caller that holds the secret (a checker run by the operator) may ask for one.
 */
export function clusterService(pipeline: Pipeline, secret: string): ServiceImpl<typeof ClusterService.method> {
  const expected = secretDigestOf(secret);
  return {
    getStatus(call, callback) {
      const status = toClusterStatus(pipeline.cluster());
      if (call.request.withDigest) {
        if (!holdsSecret(call.metadata, expected)) {
          callback({ code: grpc.status.PERMISSION_DENIED, details: `with_digest needs the cluster secret (${secretMetadataKey})` });
          return;
        }
        const { appliedIndex, digest } = pipeline.stateDigest();
        status.appliedIndex = BigInt(appliedIndex);
        status.stateDigest = digest;
      }
      callback(null, status);
    },
    recover(call, callback) {
      if (!holdsSecret(call.metadata, expected)) {
        callback({ code: grpc.status.PERMISSION_DENIED, details: `Recover needs the cluster secret (${secretMetadataKey})` });
        return;
      }
      if (!call.request.unclean) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: "only an unclean recovery exists: set unclean" });
        return;
      }
      const { role, waitReason } = pipeline.recoverUnclean();
      callback(null, create(RecoverResponseSchema, { role, waitReason }));
    },
    watchCluster(call) {
      let last = "";
      let lastPrimary = "";
      const send = (view = pipeline.cluster()): void => {
        const key = JSON.stringify(view);
        if (key === last) return;
        last = key;
        lastPrimary = `${view.epoch}/${view.primaryId}`;
        call.write(toClusterStatus(view));
      };
      send();
      let timer: NodeJS.Timeout | undefined;
      const off = pipeline.on("clusterChanged", () => {
        // A new primary (or none) is news for clients in a failover: at once, not coalesced.
        const view = pipeline.cluster();
        if (`${view.epoch}/${view.primaryId}` !== lastPrimary) {
          if (timer) clearTimeout(timer);
          timer = undefined;
          return send(view);
        }
        timer ??= setTimeout(() => {
          timer = undefined;
          send();
        }, watchIntervalMs);
      });
      // Also a periodic refresh so `down` peers and epoch changes seen by probes show up.
      const refresh = setInterval(send, 1000);
      const stop = (): void => {
        off();
        clearInterval(refresh);
        if (timer) clearTimeout(timer);
      };
      call.on("cancelled", stop);
      call.on("close", stop);
      call.on("error", stop);
    },
  };
}
