package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.mesh.HookIndex;
import dev.claudemesh.broker.core.mesh.HookResult;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /hook/set-status} (PROTOCOL §6): what editor hooks send with curl. Order: token (401), JSON (400),
 * required fields (400), pid and status values (400), then the per {@code pid:cwd} token bucket (429): the bucket
 * needs pid and cwd, and a request refused as invalid does no work, so it does not spend a token. The status is then
 * applied on the lease's mesh loop, which answers. Every request counts in {@code broker_hook_requests_total}.
 *
 * <p>Threads: {@link #setStatus} on the event loop; the answer from the mesh loop. Thread-safe.</p>
 */
final class HookRoutes {

    private final HookIndex hooks;
    private final BrokerMetrics metrics;
    private final BearerAuth auth;

    /** @param auth {@code BROKER_HOOK_TOKEN}; open when unset */
    HookRoutes(HookIndex hooks, BrokerMetrics metrics, BearerAuth auth) {
        this.hooks = Objects.requireNonNull(hooks, "hooks");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.auth = Objects.requireNonNull(auth, "auth");
    }

    void setStatus(HttpExchange x) {
        metrics.hookRequestsTotal.increment();
        if (!auth.admit(x)) {
            return;
        }
        Map<String, Object> body;
        try {
            body = x.bodyJson();
        } catch (JsonBody.BadJsonException e) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, "bad json");
            return;
        }
        if (!(body.get("cwd") instanceof String cwd) || cwd.isEmpty()
                || !(body.get("status") instanceof String status) || status.isEmpty()) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, "cwd and status required");
            return;
        }
        Long pid;
        try {
            pid = pidOf(body.get("pid"));
        } catch (IllegalArgumentException e) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, "pid must be an integer");
            return;
        }
        if (!"idle".equals(status) && !"working".equals(status) && !"dnd".equals(status)) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, "status must be idle, working or dnd");
            return;
        }
        if (!hooks.tryAcquire(pid + ":" + cwd)) {
            metrics.hookRequestsRateLimitedTotal.increment();
            refuse(x, HttpResponseStatus.TOO_MANY_REQUESTS, "rate limited");
            return;
        }
        BlockingCalls.complete(x, ErrorBody.OK_FALSE, "hook set-status", answerOf(hooks.setStatus(cwd, pid, status)));
    }

    /** {@code {"ok":true,"presence_id":"…"}} or {@code {"ok":true,"pending":true}}, as the hook index decided. */
    private static CompletionStage<Answer> answerOf(CompletionStage<HookResult> result) {
        return result.thenApply(r -> r instanceof HookResult.Applied applied
                ? Answer.json(HttpResponseStatus.OK, "{\"ok\":true,\"presence_id\":\"" + applied.presenceId() + "\"}")
                : Answer.json(HttpResponseStatus.OK, PENDING));
    }

    private static final String PENDING = "{\"ok\":true,\"pending\":true}";

    private static void refuse(HttpExchange x, HttpResponseStatus status, String error) {
        x.send(ErrorBody.OK_FALSE.answer(status, error));
    }

    /**
     * The hook's {@code pid}: absent, null or "" → null; an integer or a string of one → its value. Anything else
     * (fractions, words, booleans) is refused rather than ignored, because a null pid would match another lease of
     * the same cwd.
     */
    static Long pidOf(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
            return d.longValue();
        }
        if (v instanceof String s) {
            String t = s.trim();
            if (t.isEmpty()) {
                return null;
            }
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("pid: not an integer");
            }
        }
        throw new IllegalArgumentException("pid: not an integer");
    }
}
