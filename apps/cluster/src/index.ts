// @chat-tui/cluster: the node process and the local launcher.
export { main, usage } from "./cli.js";
export { loadClusterConfig, parseClusterConfig, type ClusterConfig, type NodeAddress } from "./config.js";
