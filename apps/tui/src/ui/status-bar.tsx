// The bottom line: you, the cluster's nodes and epoch, and the connection state.
import { Text } from "ink";
import type { ClusterState } from "../client-port.js";
import { statusLine } from "../format/status.js";

export function StatusBar(props: {
  me: string | undefined;
  cluster: ClusterState;
  width: number;
  elapsedMs?: number;
}) {
  const { me, cluster, width, elapsedMs } = props;
  const kind = cluster.connection.kind;
  const color =
    kind === "connected"
      ? "green"
      : kind === "rebinding" || kind === "connecting"
      ? "yellow"
      : "red";
  return (
    <Text inverse color={color} wrap="truncate">
      {statusLine(me, cluster, width, elapsedMs)}
    </Text>
  );
}
