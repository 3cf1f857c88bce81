// One logical unary call: sent to the primary, retried on UNAVAILABLE, DEADLINE_EXCEEDED, a
// dropped connection or a redirect — the SAME request with the SAME metadata (so the same
// `chat-request-id`) — after rebinding, with a jittered backoff, until the overall deadline
// (R22). An attempt in flight is abandoned at once when the cluster names a newer primary.
import * as grpc from "@grpc/grpc-js";
import { backoffMs, sleep } from "./backoff.js";
import { epochOf } from "./codec.js";
import {
  ChatError,
  closedError,
  describeError,
  isRetryableStatus,
  isServiceError,
  toChatError,
  unavailableError,
  type CallContext,
} from "./errors.js";
import { attemptsPerCallMax } from "./limits.js";
import type { ChatStub } from "./node-pool.js";
import type { Router } from "./router.js";

export interface CallTiming {
  deadlineMs: number;
  attemptTimeoutMs: number;
}

export interface UnarySpec<Res> {
  context: CallContext;
  /** Sent with every attempt: authorization and `chat-request-id` stay the same. */
  metadata: grpc.Metadata;
  start: (
    chat: ChatStub,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: grpc.requestCallback<Res>,
  ) => grpc.ClientUnaryCall;
}

type Attempt<Res> =
  | { ok: true; response: Res; epoch: number | undefined }
  | { ok: false; error: unknown; abandoned: boolean };

export async function callWithRetry<Res>(
  router: Router,
  timing: CallTiming,
  spec: UnarySpec<Res>,
): Promise<Res> {
  const deadlineAt = Date.now() + timing.deadlineMs;
  let lastError: unknown = undefined;
  let redirectsInRow = 0;
  let electingWaits = 0;
  for (let attempt = 0; attempt < attemptsPerCallMax; attempt++) {
    if (router.signal.aborted) throw closedError();
    if (Date.now() >= deadlineAt) break;
    const target = await router.resolve(deadlineAt);
    if (router.signal.aborted) throw closedError();
    if (target.electing) {
      // Nodes answer but none names a primary: wait (backoff) until the view names one, e.g.
      // when the watcher hears of the election's winner, rather than call a non-primary.
      lastError ??= new Error("no node names a primary (an election is under way)");
      const waitMs = Math.min(backoffMs(electingWaits++), Math.max(deadlineAt - Date.now(), 0));
      await backoffUnlessRebound(router, waitMs, "");
      continue;
    }
    const attemptDeadlineAt = Math.min(deadlineAt, Date.now() + timing.attemptTimeoutMs);
    const outcome = await attemptOnce(router, target.address, attemptDeadlineAt, spec);
    if (outcome.ok) {
      if (router.view.noteSuccess(target.address, outcome.epoch)) return outcome.response;
      lastError = new Error(`stale answer from ${target.address} (epoch ${outcome.epoch})`);
    } else {
      if (router.signal.aborted) throw closedError();
      const err = outcome.error;
      if (!isServiceError(err)) throw new ChatError("internal", describeError(err), { cause: err });
      if (!isRetryableStatus(err.code)) throw toChatError(err, spec.context);
      lastError = err;
      const before = router.view.primary();
      router.noteCallFailure(target.address, err, outcome.abandoned);
      const redirected = router.view.primary() !== undefined && router.view.primary() !== before;
      redirectsInRow = redirected ? redirectsInRow + 1 : 0;
      // Follow a fresh redirect, or the newer primary we abandoned this attempt for, at once.
      if (redirectsInRow === 1 || outcome.abandoned) continue;
    }
    // Every node fails the same TLS check: waiting out the deadline cannot help.
    const tlsProblem = router.transportProblem(true);
    if (tlsProblem) throw unavailableError(timing.deadlineMs, lastError, tlsProblem);
    const waitMs = Math.min(backoffMs(attempt), Math.max(deadlineAt - Date.now(), 0));
    if (target.offlineReason !== undefined) router.view.noteOffline(waitMs, target.offlineReason);
    await backoffUnlessRebound(router, waitMs, target.address);
  }
  if (router.signal.aborted) throw closedError();
  throw unavailableError(timing.deadlineMs, lastError, router.transportProblem());
}

/**
 * The backoff before a retry, cut short once the cluster names a new primary, other than the
 * node that just failed (e.g. the watcher heard of the winner of a failover election): waiting
 * out the rest of the backoff would only add to the failover gap. Only a change during the
 * wait counts, so two nodes naming each other still back off.
 */
export function backoffUnlessRebound(router: Router, waitMs: number, failed: string): Promise<void> {
  const before = router.view.primary();
  return new Promise((resolve) => {
    const off = router.view.onChange(() => {
      const primary = router.view.primary();
      if (primary !== undefined && primary !== failed && primary !== before) done();
    });
    const done = (): void => {
      off();
      resolve();
    };
    void sleep(waitMs, router.signal).then(done);
  });
}

function attemptOnce<Res>(
  router: Router,
  address: string,
  deadlineAt: number,
  spec: UnarySpec<Res>,
): Promise<Attempt<Res>> {
  return new Promise((resolve) => {
    let stubs;
    try {
      stubs = router.pool.get(address);
    } catch (error) {
      return resolve({ ok: false, error, abandoned: false });
    }
    const epochAtStart = router.view.epoch;
    let response: Res | undefined;
    let failure: grpc.ServiceError | null = null;
    let headers: grpc.Metadata | undefined;
    let abandoned = false;
    const metadata = spec.metadata.clone();
    const call = spec.start(stubs.chat, metadata, { deadline: deadlineAt }, (err, res) => {
      failure = err;
      response = res;
    });
    // A newer primary elsewhere: this attempt can only fail or be stale; retry there now.
    const offChange = router.view.onChange(() => {
      const primary = router.view.primary();
      if (primary !== undefined && primary !== address && router.view.epoch > epochAtStart) {
        abandoned = true;
        call.cancel();
      }
    });
    const onAbort = (): void => call.cancel();
    router.signal.addEventListener("abort", onAbort, { once: true });
    call.on("metadata", (md: grpc.Metadata) => (headers = md));
    call.on("status", (status: grpc.StatusObject) => {
      offChange();
      router.signal.removeEventListener("abort", onAbort);
      if (failure !== null || response === undefined) {
        const error = failure ?? new Error(`empty answer: ${status.details}`);
        resolve({ ok: false, error, abandoned });
      } else {
        resolve({ ok: true, response, epoch: epochOf(headers, status.metadata) });
      }
    });
  });
}
