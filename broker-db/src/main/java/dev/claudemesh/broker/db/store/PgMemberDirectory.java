package dev.claudemesh.broker.db.store;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.MemberDirectory;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Result;
import org.jooq.exception.DataAccessException;

import javax.sql.DataSource;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;

/**
 * {@link MemberDirectory} over the {@code member} table with Caffeine caches in front: lookups that hit the cache
 * complete at once; misses run a query on a small pool of daemon JDBC threads (never on the caller's event loop) and
 * complete the future there. A found member is cached for {@link Config#expireAfterWriteMs()}, an absent one for
 * the shorter {@link Config#negativeExpireAfterWriteMs()} (so a member just added by an operator is let in soon even
 * if nobody calls {@link #invalidate}). A failed lookup completes its future exceptionally and is not cached.
 *
 * <p>A miss does not query one member: it reads every member row of the mesh in one query and keeps that snapshot
 * for {@link Config#negativeExpireAfterWriteMs()}, so that a connect storm of many members of one mesh costs one query
 * per mesh, not one per member (concurrent misses of a mesh share the query in flight). Each entry expires counting
 * from the query that read it, so a lookup answered from a snapshot is never staler than one that ran its own query.
 * {@link #invalidate} drops the mesh's snapshot too, so the next lookup of that mesh reads the database.</p>
 *
 * <p>Thread-safe. Owns its JDBC threads ({@link #close()} stops them); not the {@link DataSource}.</p>
 */
public final class PgMemberDirectory implements MemberDirectory, AutoCloseable {

    /**
     * Cache and pool settings. Immutable, validated at construction.
     *
     * @param threads                    JDBC threads running lookups
     * @param expireAfterWriteMs         how long a found member stays cached
     * @param negativeExpireAfterWriteMs how long "no such member", and a mesh's snapshot, stay cached
     * @param maximumSize                most cached lookups, and most members held in mesh snapshots
     */
    public record Config(int threads, long expireAfterWriteMs, long negativeExpireAfterWriteMs, long maximumSize) {
        public Config {
            if (threads < 1 || threads > 64) {
                throw new IllegalArgumentException("threads: " + threads + " (expected: 1..64)");
            }
            if (expireAfterWriteMs < 0) {
                throw new IllegalArgumentException("expireAfterWriteMs: " + expireAfterWriteMs + " (expected: >= 0)");
            }
            if (negativeExpireAfterWriteMs < 0) {
                throw new IllegalArgumentException("negativeExpireAfterWriteMs: " + negativeExpireAfterWriteMs
                        + " (expected: >= 0)");
            }
            if (maximumSize < 1) {
                throw new IllegalArgumentException("maximumSize: " + maximumSize + " (expected: > 0)");
            }
        }

        /** 3 threads, members cached 30 s, absences 2 s, at most 100 000 entries. */
        public static Config defaults() {
            return new Config(3, 30_000, 2_000, 100_000);
        }
    }

    private record Key(String meshId, String pubkey) {
    }

    /** A lookup's answer and the {@link Ticker#systemTicker()} time at which the query behind it started. */
    private record Lookup(Optional<Member> member, long queriedAtNanos) {
    }

    /**
     * Every member row of one mesh as one query read it, by public key (an active row wins over a revoked one; then
     * the newest), and the answer for any other key.
     */
    private record MeshMembers(Map<String, Lookup> byPubkey, Lookup absent) {
        Lookup lookup(String pubkey) {
            return byPubkey.getOrDefault(pubkey, absent);
        }
    }

    private final DSLContext dsl;
    private final ExecutorService executor;
    private final AsyncLoadingCache<String, MeshMembers> meshes;
    private final AsyncLoadingCache<Key, Lookup> cache;

    /** Creates the directory and its JDBC threads over {@code dataSource}. */
    public PgMemberDirectory(DataSource dataSource, Config config) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(config, "config");
        this.dsl = Database.dsl(dataSource);
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(config.threads(), r -> {
            Thread t = new Thread(r, "broker-db-members-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        long presentNanos = TimeUnit.MILLISECONDS.toNanos(config.expireAfterWriteMs());
        long absentNanos = TimeUnit.MILLISECONDS.toNanos(config.negativeExpireAfterWriteMs());
        // Cache upkeep is cheap and runs on the calling thread; only the queries go to the JDBC threads (so that
        // upkeep never hits a pool that close() has shut down).
        this.meshes = Caffeine.newBuilder()
                .maximumWeight(config.maximumSize())
                .weigher((String meshId, MeshMembers m) -> Math.max(1, m.byPubkey().size()))
                .expireAfterWrite(absentNanos, TimeUnit.NANOSECONDS)
                .executor(Runnable::run)
                .buildAsync((meshId, ignored) -> CompletableFuture.supplyAsync(() -> load(meshId), executor));
        this.cache = Caffeine.newBuilder()
                .maximumSize(config.maximumSize())
                .executor(Runnable::run)
                .expireAfter(new Expiry<Key, Lookup>() {
                    @Override
                    public long expireAfterCreate(Key key, Lookup value, long currentTime) {
                        long lifetime = value.member().isPresent() ? presentNanos : absentNanos;
                        return Math.max(0, lifetime - (currentTime - value.queriedAtNanos()));
                    }

                    @Override
                    public long expireAfterUpdate(Key key, Lookup value, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, value, currentTime);
                    }

                    @Override
                    public long expireAfterRead(Key key, Lookup value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .buildAsync((key, ignored) -> meshes.get(key.meshId()).thenApply(m -> m.lookup(key.pubkey())));
    }

    /**
     * Finds the member of {@code meshId} with {@code pubkey} (compared in lowercase), revoked or not; an active row
     * wins over a revoked one. The future completes on a JDBC thread (or at once on a cache hit).
     */
    @Override
    public CompletableFuture<Optional<Member>> findByPubkey(String meshId, String pubkey) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(pubkey, "pubkey");
        if (executor.isShutdown()) {
            return CompletableFuture.failedFuture(new IllegalStateException("member directory closed"));
        }
        return cache.get(new Key(meshId, pubkey.toLowerCase(Locale.ROOT))).thenApply(Lookup::member);
    }

    /** Drops the member's cached lookup and its mesh's snapshot. */
    @Override
    public void invalidate(String meshId, String pubkey) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(pubkey, "pubkey");
        // Snapshot first: a miss between the two calls would otherwise answer again from the old snapshot. A lookup
        // already waiting on the old snapshot is dropped with its entry and never cached.
        meshes.synchronous().invalidate(meshId);
        cache.synchronous().invalidate(new Key(meshId, pubkey.toLowerCase(Locale.ROOT)));
    }

    /** Drops every cached entry (e.g. after a CLI subcommand changed members behind the broker's back). */
    public void invalidateAll() {
        meshes.synchronous().invalidateAll();
        cache.synchronous().invalidateAll();
    }

    /** Stops the JDBC threads; lookups after this fail. */
    @Override
    public void close() {
        executor.shutdownNow();
    }

    private MeshMembers load(String meshId) {
        try {
            return query(meshId);
        } catch (DataAccessException e) {
            // After a database restart the pool may hand out a connection the server has already closed (HikariCP
            // skips validation for connections used in the last 500 ms): one retry gets a fresh one.
            if (Rows.isConnectionLoss(e)) {
                return query(meshId);
            }
            throw e;
        }
    }

    private MeshMembers query(String meshId) {
        long queriedAt = Ticker.systemTicker().read();
        Result<Record> rows = dsl.select(Rows.MEMBER_FIELDS)
                .from(MEMBER)
                .join(MESH_TABLE).on(MESH_TABLE.ID.eq(MEMBER.MESH_ID))
                .where(MEMBER.MESH_ID.eq(meshId))
                // An active row wins over a revoked one; then the newest: the first row of each key is its answer.
                .orderBy(MEMBER.REVOKED_AT.desc().nullsFirst(), MEMBER.CREATED_AT.desc())
                .fetch();
        Map<String, Lookup> byPubkey = new HashMap<>(rows.size() * 4 / 3 + 1);
        for (Record r : rows) {
            Member m = Rows.member(r);
            byPubkey.putIfAbsent(m.pubkey(), new Lookup(Optional.of(m), queriedAt));
        }
        return new MeshMembers(byPubkey, new Lookup(Optional.empty(), queriedAt));
    }
}
