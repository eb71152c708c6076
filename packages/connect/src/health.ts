import { create } from "@bufbuild/protobuf";
import { Code as ConnectCode, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { ServingState } from "@modelwire/core";
import { healthV1 } from "@modelwire/core/grpc";

const { HealthCheckResponseSchema, HealthCheckResponse_ServingStatus: Status } = healthV1;
type Response = healthV1.HealthCheckResponse;

/**
 * The standard gRPC health service (`grpc.health.v1.Health`) over one {@link ServingState}: every name in
 * `services` (and `""`, the server as a whole) is SERVING while the state serves, NOT_SERVING otherwise.
 *
 * - `Check` answers the status now; NOT_FOUND for a name it does not know.
 * - `Watch` sends the status now, then one message per change (SERVICE_UNKNOWN once for an unknown name). When
 *   `closing` fires it sends the status then in force, if not sent yet, and ends with UNAVAILABLE, so a watcher
 *   does not hold a draining server open until its grace period runs out.
 * - `List` answers every known name.
 */
export function createHealthServiceImpl(
  state: ServingState,
  services: readonly string[],
  closing: AbortSignal,
): ServiceImpl<typeof healthV1.Health> {
  const known = new Set(["", ...services]);
  const current = (): Response =>
    create(HealthCheckResponseSchema, { status: state.serving ? Status.SERVING : Status.NOT_SERVING });

  return {
    check(req) {
      if (!known.has(req.service)) {
        throw new ConnectError(`unknown service "${req.service.slice(0, 200)}"`, ConnectCode.NotFound);
      }
      return current();
    },

    async *watch(req, ctx: HandlerContext) {
      const isKnown = known.has(req.service);
      let changed = false;
      let wake: (() => void) | undefined;
      const poke = () => {
        changed = true;
        wake?.();
      };
      const unsubscribe = state.subscribe(poke);
      closing.addEventListener("abort", poke);
      ctx.signal.addEventListener("abort", poke);
      try {
        let last: number | undefined;
        for (;;) {
          changed = false;
          const now = isKnown ? current() : create(HealthCheckResponseSchema, { status: Status.SERVICE_UNKNOWN });
          if (now.status !== last) {
            last = now.status;
            yield now;
          }
          if (ctx.signal.aborted) return;
          if (closing.aborted) throw new ConnectError("server shutting down", ConnectCode.Unavailable);
          if (!changed) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
          }
        }
      } finally {
        unsubscribe();
        closing.removeEventListener("abort", poke);
        ctx.signal.removeEventListener("abort", poke);
      }
    },

    list() {
      const status = current();
      return create(healthV1.HealthListResponseSchema, {
        statuses: Object.fromEntries([...known].map((name) => [name, status])),
      });
    },
  };
}
