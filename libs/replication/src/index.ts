// Public API of @chat-tui/replication: the pure replication core and its pure helpers.
export { Replica, type ReplicaConfig } from "./replica.js";
export * from "./types.js";
export * from "./limits.js";
export {
  Log,
  bootstrapView,
  compareViewId,
  findMember,
  sameStorage,
  viewOfEntry,
  BOOTSTRAP_STORAGE,
} from "./log.js";
export { planRecovery, compareLogs, type LogInfo, type RecoveryPlan } from "./recovery.js";
export {
  describeAction,
  describeEntries,
  describeEntry,
  describeEvent,
  describeMembers,
  describeMessage,
  describeView,
} from "./describe.js";
