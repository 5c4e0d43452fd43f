package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.db.store.DuplicateException;
import dev.claudemesh.broker.db.store.NotFoundException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link BlockingCalls} and the one failure classifier ({@link HttpFailures}) on an {@link EmbeddedChannel}; the
 * "pool" is a queue the test runs by hand, so nothing is answered before the test says so.
 */
class BlockingCallsTest {

    private final List<Runnable> queued = new ArrayList<>();
    private final Executor pool = queued::add;
    private final EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());

    @AfterEach
    void nothingLeftOver() {
        assertThat(queued).isEmpty();
        assertFalse(ch.finish());
    }

    private HttpExchange exchange() {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/admin/x",
                Unpooled.EMPTY_BUFFER);
        HttpExchange x = new HttpExchange(ch.pipeline().firstContext(), req);
        req.release(); // as HttpApi does when the handler returns: the answer comes later
        return x;
    }

    private String answered() {
        FullHttpResponse res = ch.readOutbound();
        assertThat(res).as("an answer").isNotNull();
        try {
            return res.status().code() + " " + res.content().toString(StandardCharsets.UTF_8);
        } finally {
            res.release();
        }
    }

    private void runQueued() {
        List<Runnable> now = new ArrayList<>(queued);
        queued.clear();
        now.forEach(Runnable::run);
    }

    private String failWith(RuntimeException e, ErrorBody style) {
        new BlockingCalls(pool).run(exchange(), style, "test", () -> {
            throw e;
        });
        assertThat((Object) ch.readOutbound()).as("nothing before the pool ran").isNull();
        runQueued();
        return answered();
    }

    @Test
    void shouldAnswerTheWorksResultFromThePool() {
        new BlockingCalls(pool).run(exchange(), ErrorBody.PLAIN, "test",
                () -> Answer.json(HttpResponseStatus.CREATED, "{\"id\":\"m\"}"));
        runQueued();
        assertThat(answered()).isEqualTo("201 {\"id\":\"m\"}");
    }

    @Test
    void shouldClassifyFailuresInTheRoutesErrorBody() {
        assertThat(failWith(new NotFoundException("mesh not found: M"), ErrorBody.PLAIN))
                .isEqualTo("404 {\"error\":\"mesh not found: M\"}");
        assertThat(failWith(new DuplicateException("mesh slug already exists: conf", null), ErrorBody.PLAIN))
                .isEqualTo("409 {\"error\":\"mesh slug already exists: conf\"}");
        assertThat(failWith(new IllegalArgumentException("maxUses: 0 (expected: > 0)"), ErrorBody.PLAIN))
                .isEqualTo("400 {\"error\":\"maxUses: 0 (expected: > 0)\"}");
        RuntimeException down = new RuntimeException("jooq", new SQLException("refused", "08001"));
        assertThat(failWith(down, ErrorBody.PLAIN)).isEqualTo("503 {\"error\":\"database unavailable\"}");
        assertThat(failWith(down, ErrorBody.OK_FALSE)).isEqualTo("503 {\"ok\":false,\"error\":\"database unavailable\"}");
        assertThat(failWith(new IllegalStateException("bug"), ErrorBody.OK_FALSE))
                .isEqualTo("500 {\"ok\":false,\"error\":\"internal error\"}");
    }

    @Test
    void shouldUnwrapFailedFutures() {
        new BlockingCalls(pool).runAsync(exchange(), ErrorBody.PLAIN, "test", () -> CompletableFuture.failedFuture(
                new CompletionException(new NotFoundException("mesh not found"))));
        runQueued();
        assertThat(answered()).isEqualTo("404 {\"error\":\"mesh not found\"}");
        CompletableFuture<Answer> later = new CompletableFuture<>();
        new BlockingCalls(pool).runAsync(exchange(), ErrorBody.PLAIN, "test", () -> later);
        runQueued();
        assertThat((Object) ch.readOutbound()).as("answered when the stage completes").isNull();
        later.complete(Answer.json(HttpResponseStatus.OK, "[]"));
        assertThat(answered()).isEqualTo("200 []");
    }

    @Test
    void shouldAnswer503WhenThePoolIsShutDown() {
        Executor closed = task -> {
            throw new RejectedExecutionException("shut down");
        };
        new BlockingCalls(closed).run(exchange(), ErrorBody.OK_FALSE, "test", () -> {
            throw new AssertionError("must not run");
        });
        assertThat(answered()).isEqualTo("503 {\"ok\":false,\"error\":\"shutting down\"}");
    }

    @Test
    void shouldClassifyByCauseChain() {
        assertThat(HttpFailures.kindOf(new RuntimeException(new RuntimeException(new SQLException()))))
                .isEqualTo(HttpFailures.Kind.DATABASE_DOWN);
        assertThat(HttpFailures.kindOf(new CompletionException(new DuplicateException("d", new SQLException()))))
                .as("a duplicate is the client's, though its cause is SQL").isEqualTo(HttpFailures.Kind.DUPLICATE);
        assertThat(HttpFailures.kindOf(new NullPointerException())).isEqualTo(HttpFailures.Kind.INTERNAL);
    }

    @Test
    void shouldCheckBearerTokensExactly() {
        BearerAuth auth = BearerAuth.of("s3cret", BearerAuth.Unset.OPEN, ErrorBody.OK_FALSE);
        assertThat(auth.matches("Bearer s3cret")).isTrue();
        assertThat(auth.matches("bearer  s3cret ")).as("scheme case-insensitive, token trimmed").isTrue();
        assertThat(auth.matches("Bearer s3cret2")).isFalse();
        assertThat(auth.matches("Bearer s3cre")).isFalse();
        assertThat(auth.matches("s3cret")).isFalse();
        assertThat(auth.matches("Basic s3cret")).isFalse();
        assertThat(auth.matches(null)).isFalse();
        assertThat(auth.toString()).doesNotContain("s3cret");
        BearerAuth none = BearerAuth.of("", BearerAuth.Unset.HIDDEN, ErrorBody.PLAIN);
        assertThat(none.enabled()).isFalse();
        assertThat(none.matches("Bearer ")).as("no token configured matches nothing").isFalse();
    }
}
