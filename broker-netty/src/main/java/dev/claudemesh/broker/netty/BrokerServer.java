package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.DatabaseConfig;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.AuditOutbox;
import dev.claudemesh.broker.db.store.MemberProfiles;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.db.store.PgMemberDirectory;
import dev.claudemesh.broker.db.store.PgRecoveryStore;
import dev.claudemesh.broker.db.store.QueueRetention;
import dev.claudemesh.broker.db.writer.ShardedDurableLog;
import dev.claudemesh.broker.db.writer.WriterConfig;
import dev.claudemesh.broker.netty.config.BuildInfo;
import dev.claudemesh.broker.netty.http.BrokerMetricsExporter;
import dev.claudemesh.broker.netty.http.ApiStores;
import dev.claudemesh.broker.netty.http.HttpApi;
import dev.claudemesh.broker.netty.pipeline.BrokerChannelInitializer;
import dev.claudemesh.broker.netty.pipeline.EventLoopLagProbe;
import dev.claudemesh.broker.netty.pipeline.EventLoopMeshLoop;
import dev.claudemesh.broker.netty.pipeline.PeerFrameHandler;
import dev.claudemesh.broker.netty.pipeline.PipelineLimits;
import dev.claudemesh.broker.netty.pipeline.PooledPayloads;
import dev.claudemesh.broker.netty.startup.DatabaseStartup;
import dev.claudemesh.broker.netty.startup.Preflight;
import dev.claudemesh.broker.netty.startup.StartupException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The running broker: database, writer, member directory, domain, Netty server, HTTP routes — wired in
 * {@link #start} and torn down in order by {@link #close} (stop accepting, close sockets 1001, flush the writer,
 * mark presences disconnected). Thread-safe to close from any thread, once.
 */
public final class BrokerServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BrokerServer.class);
    public static final String VERSION = BuildInfo.version();

    private final BrokerConfig config;
    private final Database database;
    private final ShardedDurableLog durable;
    private final PgMemberDirectory directory;
    private final Broker broker;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ExecutorService blocking;
    private final ChannelGroup channels;
    private final Channel serverChannel;
    private final int port;
    private volatile boolean closed;
    private QueueRetention retention;

    private BrokerServer(BrokerConfig config, Database database, ShardedDurableLog durable, PgMemberDirectory directory,
                         Broker broker, EventLoopGroup bossGroup, EventLoopGroup workerGroup, ExecutorService blocking,
                         ChannelGroup channels, Channel serverChannel) {
        this.config = config;
        this.database = database;
        this.durable = durable;
        this.directory = directory;
        this.broker = broker;
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.blocking = blocking;
        this.channels = channels;
        this.serverChannel = serverChannel;
        this.port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Starts a broker with {@code config}; blocks until it listens. */
    public static BrokerServer start(BrokerConfig config) throws Exception {
        return start(config, Clock.SYSTEM);
    }

    /**
     * Starts a broker; blocks until it accepts connections. Order: host checks (data directory, TLS files, bind
     * address), then the listening socket is bound with accepting paused — so a port in use is reported before the
     * database is started — then the database (an unreachable {@code DATABASE_URL} retried for
     * {@code DATABASE_CONNECT_TIMEOUT_SECONDS}), recovery, the domain, and finally accepting is switched on.
     *
     * @throws StartupException       for a failure the operator can act on: one line, with its exit code
     * @throws Exception              anything unexpected; nothing is left running either way
     */
    public static BrokerServer start(BrokerConfig config, Clock clock) throws Exception {
        long startedAt = clock.millis();
        log.info("claudemesh-broker {} starting: {}", VERSION, config.describe());
        Preflight.dataDir(config);
        SslContext ssl = Preflight.ssl(config);
        InetAddress bindAddress = Preflight.bindAddress(config);

        boolean epoll = BrokerConfig.epollPreferred() && Epoll.isAvailable();
        int threads = config.eventLoopThreads() > 0 ? config.eventLoopThreads()
                : Runtime.getRuntime().availableProcessors();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("broker-accept"),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("broker-loop"),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Channel server = null;
        Database database = null;
        ShardedDurableLog durable = null;
        PgMemberDirectory directory = null;
        ExecutorService blocking = null;
        try {
            DeferredInitializer children = new DeferredInitializer();
            server = listen(config, bindAddress, boss, workers, epoll, children);
            database = DatabaseStartup.open(databaseConfig(config), config.databaseConnectTimeoutSeconds());
            AdminRepository admin = new AdminRepository(database.dataSource());
            int stale = admin.closeOpenPresences(clock.millis());
            if (stale > 0) {
                log.info("marked {} presences of a previous run disconnected", stale);
            }
            durable = ShardedDurableLog.start(database.dataSource(),
                    WriterConfig.builder().maxBatchOps(config.writerBatchSize()).pipelineDepth(config.writerPipeline())
                            .lingerMicros(config.writerLingerMicros())
                            .waterMarks(config.writerHighWaterOps(), config.writerLowWaterOps())
                            // Netty's thread kind: they free DM payloads and allocate acks in the pool (WriterConfig)
                            .threadFactory(FastThreadLocalThread::new).build(),
                    config.writerThreads());
            directory = new PgMemberDirectory(database.dataSource(), PgMemberDirectory.Config.defaults());
            blocking = Executors.newFixedThreadPool(config.blockingThreads(),
                    new DefaultThreadFactory("broker-blocking", true));

            BrokerMetrics metrics = new BrokerMetrics();
            MembershipAdmin membership = new MembershipAdmin(database.dataSource(), config.encryptionKeyHex(),
                    MembershipAdmin.VIA_ADMIN_API, clock::millis, MembershipAdmin.Listener.NONE);
            // the HTTP wiring attaches the running broker's listener (member cache, 4002 closes, audit into the chain)
            // once the broker exists; a member's ban over the WebSocket uses that same service: one revoke path
            AtomicReference<MembershipAdmin> wiredMembership = new AtomicReference<>(membership);
            // the mesh services' blocking store calls run on the blocking pool (one serial lane per mesh in front)
            Broker broker = new Broker(config.settings(), clock, EventLoopMeshLoop.provider(workers), directory,
                    durable, metrics, blocking, MeshServices.all(database.dataSource(), config, wiredMembership::get))
                    // a routed DM's nonce and ciphertext in the sockets' pool, off the heap (PooledPayloads)
                    .usePayloads(new PooledPayloads(PooledByteBufAllocator.DEFAULT, metrics.payloadBuffers));
            PgRecoveryStore recovery = new PgRecoveryStore(database.dataSource());
            List<StoredMessage> pending = recovery.loadUndelivered(clock.millis());
            broker.restore(pending);
            log.info("restored {} undelivered DMs", pending.size());
            long windowMs = config.settings().idempotencyWindowMs();
            List<RecentSend> recent = recovery.loadRecentSends(clock.millis() - windowMs);
            broker.restoreRecentSends(recent);
            log.info("restored the idempotency window: {} sends of the last {} s", recent.size(), windowMs / 1_000);
            int opened = broker.openBootMeshes();
            log.info("opened {} meshes with pending work at boot (scheduled messages)", opened);

            ChannelGroup channels = new DefaultChannelGroup("peers", GlobalEventExecutor.INSTANCE);
            int boundPort = ((InetSocketAddress) server.localAddress()).getPort();
            ServerContext ctx = new ServerContext(config, broker, durable, blocking, () -> boundPort, clock,
                    startedAt, VERSION, metrics);
            BrokerMetricsExporter exporter = new BrokerMetricsExporter(metrics, durable);
            EventLoopLagProbe.start(workers, exporter.registry());
            HttpApi http = HttpApi.create(ctx, new HttpApi.Stores(membership, new AuditOutbox(database.dataSource()),
                            new MemberProfiles(database.dataSource()), ApiStores.of(database.dataSource()),
                            wiredMembership::set), exporter);
            PipelineLimits limits = new PipelineLimits(config.maxFrameBytes(), config.maxMessageBytes(),
                    config.maxHeaderBytes(), config.httpRequestTimeoutMs(), config.pingIntervalMs(),
                    config.staleTimeoutMs(), config.helloTimeoutMs(), config.maxPendingBytesPerSocket());
            children.set(new BrokerChannelInitializer(broker, http, limits, ssl, channels));
            BrokerServer s = new BrokerServer(config, database, durable, directory, broker, boss, workers, blocking,
                    channels, server);
            durable.addPressureListener(high -> s.setReading(!high));
            s.retention = new QueueRetention(database.dataSource(), config.queueRetentionHours() * 3_600_000L)
                    .start(config.retentionSweepMs(), clock::millis);
            server.config().setAutoRead(true); // accept what waited in the backlog, and everything after
            log.info("listening on {}:{} ({}, {} event loops{})", config.bindAddress(), s.port,
                    epoll ? "epoll" : "nio", threads, ssl != null ? ", TLS" : "");
            return s;
        } catch (Exception | Error e) {
            if (server != null) {
                server.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            }
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (blocking != null) {
                blocking.shutdownNow();
            }
            if (directory != null) {
                directory.close();
            }
            if (durable != null) {
                durable.close();
            }
            if (database != null) {
                database.close();
            }
            throw e;
        }
    }

    private static DatabaseConfig databaseConfig(BrokerConfig config) {
        DatabaseConfig db = DatabaseConfig.defaults().withDataDir(Path.of(config.dataDir()));
        // each durable writer holds a connection per batch in flight; the rest serve lookups, admin and retention
        db = db.withPool(DatabaseConfig.DEFAULT_MAX_POOL_SIZE - 1 + config.writerThreads() * config.writerPipeline(),
                db.connectionTimeoutMs());
        return config.databaseUrl() != null ? db.withDatabaseUrl(config.databaseUrl()) : db;
    }

    /**
     * Binds the listening socket with accepting paused (server channel auto-read off): connections wait in the
     * kernel backlog until {@code setAutoRead(true)}, and by then {@code children} has its initializer.
     */
    private static Channel listen(BrokerConfig config, InetAddress address, EventLoopGroup boss,
                                  EventLoopGroup workers, boolean epoll, DeferredInitializer children) {
        Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, config.backlog())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        config.socketWriteLowWaterBytes(), config.socketWriteHighWaterBytes()))
                .childHandler(children);
        ChannelFuture bound = b.bind(address, config.port()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw Preflight.bindFailure(config, address, config.port(), bound.cause());
        }
        return bound.channel();
    }

    /**
     * The child handler bound before the broker exists: hands each accepted channel to the real initializer, set
     * once before accepting starts (so it is never null when a channel arrives).
     */
    @ChannelHandler.Sharable
    private static final class DeferredInitializer extends ChannelInitializer<Channel> {
        private volatile BrokerChannelInitializer target;

        void set(BrokerChannelInitializer initializer) {
            this.target = initializer;
        }

        @Override
        protected void initChannel(Channel ch) {
            BrokerChannelInitializer t = target;
            if (t == null) {
                ch.close(); // cannot happen: accepting starts after set()
                return;
            }
            ch.pipeline().addLast(t);
        }
    }

    /**
     * Back-pressure from the writer: stop (or resume) reading from every WebSocket peer. Plain HTTP connections keep
     * reading: {@code /health} must answer 503 exactly while the database is down, also on a kept-alive connection.
     */
    private void setReading(boolean read) {
        log.warn("writer backlog {}: {} reading from peers", durable.stats().backlog(), read ? "resuming" : "pausing");
        for (Channel ch : channels) {
            ch.eventLoop().execute(() -> {
                if (ch.pipeline().get(PeerFrameHandler.class) == null) {
                    return;
                }
                ch.config().setAutoRead(read);
                if (read) {
                    ch.read();
                }
            });
        }
    }

    public int port() {
        return port;
    }

    public Broker broker() {
        return broker;
    }

    public ShardedDurableLog durable() {
        return durable;
    }

    /** The queue retention sweeper (started with the server). */
    public QueueRetention retention() {
        return retention;
    }

    public Database database() {
        return database;
    }

    public BrokerConfig config() {
        return config;
    }

    /** Graceful stop: stop accepting, close sockets 1001, flush the writer, mark presences disconnected. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("shutting down");
        retention.close();
        serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        broker.shutdown(config.shutdownCloseMs());
        boolean flushed = durable.flush(config.shutdownFlushMs());
        if (!flushed) {
            log.error("writer did not drain within {} ms; {} ops left", config.shutdownFlushMs(),
                    durable.stats().backlog());
        }
        channels.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        blocking.shutdown();
        try {
            // the mesh services' last storage calls (e.g. peer state saved as the leases ended) before the pool goes
            if (!blocking.awaitTermination(config.shutdownFlushMs(), TimeUnit.MILLISECONDS)) {
                log.warn("blocking work did not finish within {} ms", config.shutdownFlushMs());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        directory.close();
        durable.close();
        database.close();
        log.info("stopped");
    }

    /** Abrupt stop for crash tests: drop everything without flushing or closing sockets politely. */
    public synchronized void kill() {
        closed = true;
        retention.close();
        serverChannel.close();
        channels.close();
        workerGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        bossGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        blocking.shutdownNow();
    }
}
