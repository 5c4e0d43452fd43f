package dev.claudemesh.broker.netty.it;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.netty.pipeline.NettyPeerConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * STYLE habit 7 ("slow consumers are bounded") end to end: a peer completes its session_hello on a bare socket and
 * then stops reading while a flooder multicasts 16 KiB frames to its group and other peers exchange DMs. The
 * others' send→ack latency is compared with a baseline taken in the same test with the same flood going to the same
 * peer while it still read; the stuck peer is closed 1008 {@code slow_consumer} once its pending outbound bytes pass
 * a small limit (so the broker holds at most that much for it); the DMs sent to it while it was stuck reach it when it
 * reattaches with the same session key within grace.
 */
class SlowConsumerIT {

    private static final long MAX_PENDING = 512 * 1024;
    private static final int RING = 4;
    /** One ring DM every 5 ms: 200 DMs/s, whose send→ack latency is measured. */
    private static final long RING_PERIOD_MS = 5;
    /** One 16 KiB multicast to the slow peer's group every 5 ms: about 3.3 MB/s at the slow peer. */
    private static final long FLOOD_PERIOD_MS = 5;
    private static final int FLOOD_BYTES = 16 * 1024;
    private static final long PHASE_MS = 3_000;
    private static final Pattern SLOW_LOG = Pattern.compile("(\\d+) outbound bytes pending > (\\d+)");

    private final List<LoadPeer> peers = new ArrayList<>();
    private ScheduledExecutorService load;
    private RawWsPeer slow;
    private Logger connLog;
    private AppenderBase<ILoggingEvent> capture;

    @AfterEach
    void tearDown() throws Exception {
        if (load != null) {
            load.shutdownNow();
        }
        peers.forEach(LoadPeer::abort);
        if (slow != null) {
            slow.close();
        }
        if (connLog != null) {
            connLog.detachAppender(capture);
        }
    }

    @Test
    @Timeout(120)
    void shouldCloseAStuckPeerAtItsLimitWithoutSlowingOthersAndRedeliverItsDmsWhenItReturns() throws Exception {
        List<String> slowLines = new CopyOnWriteArrayList<>();
        connLog = (Logger) LoggerFactory.getLogger(NettyPeerConnection.class);
        capture = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                if (e.getFormattedMessage().contains("slow consumer")) {
                    slowLines.add(e.getFormattedMessage());
                }
            }
        };
        capture.setContext(connLog.getLoggerContext());
        capture.start();
        connLog.addAppender(capture);

        try (BrokerFixture broker = new BrokerFixture(Map.of(
                "SEND_RATE_LIMIT_PER_MIN", "0",
                "BROKER_MAX_PENDING_BYTES_PER_SOCKET", String.valueOf(MAX_PENDING)))) {
            String mesh = broker.createMesh("slow");
            DeliveryLedger ledger = new DeliveryLedger("dm-", 256);
            for (int i = 0; i < RING; i++) {
                peers.add(LoadPeer.connect(broker.port(), ledger, broker.addMember(mesh, "ring" + i),
                        Ed25519.generate(), "r" + i, null));
            }
            LoadPeer flooder = LoadPeer.connect(broker.port(), ledger, broker.addMember(mesh, "flooder"),
                    Ed25519.generate(), "f", null);
            peers.add(flooder);
            Identities.MemberKeys slowMember = broker.addMember(mesh, "slow");
            Ed25519.KeyPair slowKeys = Ed25519.generate();
            String groups = "[{\"name\":\"slowpoke\"}]";
            slow = RawWsPeer.connect(broker.port(), 16 * 1024);
            slow.sendText(Identities.sessionHello(slowMember, slowKeys, "slow", System.currentTimeMillis(), 3_600_000,
                    "slow", groups));
            assertThat(slow.readUntil("\"type\":\"hello_ack\"")).contains("presenceId");
            slow.resume();

            String floodPayload = Base64.getEncoder().encodeToString(new byte[FLOOD_BYTES]);
            AtomicInteger tick = new AtomicInteger();
            AtomicInteger floods = new AtomicInteger();
            load = Executors.newScheduledThreadPool(2);
            load.scheduleAtFixedRate(() -> {
                int i = tick.getAndIncrement() % RING;
                peers.get(i).sendDm(peers.get((i + 1) % RING).key());
            }, 0, RING_PERIOD_MS, TimeUnit.MILLISECONDS);
            load.scheduleAtFixedRate(() -> flooder.send(Identities.send("fl-" + floods.incrementAndGet(),
                    "@slowpoke", "low", "bm9uY2U=", floodPayload)), 0, FLOOD_PERIOD_MS, TimeUnit.MILLISECONDS);

            // ---- baseline: the same flood, read by the slow peer
            Thread.sleep(1_000); // warm-up
            long baselineFrom = System.nanoTime();
            Thread.sleep(PHASE_MS);
            long baselineTo = System.nanoTime();
            long framesBeforeStall = slow.framesRead();

            // ---- the peer stops reading; DMs to it keep coming
            slow.pause();
            long stallFrom = System.nanoTime();
            int dmsToSlow = 0;
            while (slowLines.isEmpty() && System.nanoTime() - stallFrom < TimeUnit.SECONDS.toNanos(30)) {
                peers.get(0).sendDm(slowKeys.publicKeyHex());
                dmsToSlow++;
                Thread.sleep(50);
            }
            long stallTo = System.nanoTime();
            assertThat(slowLines).as("slow consumer detected").isNotEmpty();
            // keep the others busy a little longer while the stuck socket is being closed
            Thread.sleep(500);
            long duringTo = System.nanoTime();

            // the peer reads again: everything the broker had queued for it, then the close frame
            slow.resume();
            assertThat(DeliveryLedger.await(10_000, slow::ended)).as("stuck socket closed").isTrue();
            assertThat(slow.closeCode()).isEqualTo(1008);
            assertThat(slow.closeReason()).isEqualTo("slow_consumer");
            Matcher m = SLOW_LOG.matcher(slowLines.get(0));
            assertThat(m.find()).isTrue();
            long pendingAtClose = Long.parseLong(m.group(1));
            assertThat(pendingAtClose).as("pending outbound bytes when closed")
                    .isLessThanOrEqualTo(MAX_PENDING + FLOOD_BYTES * 2L);

            // DMs sent to it while it was in grace still queue
            for (int i = 0; i < 10; i++) {
                peers.get(0).sendDm(slowKeys.publicKeyHex());
                dmsToSlow++;
            }
            load.shutdown();
            assertThat(load.awaitTermination(5, TimeUnit.SECONDS)).isTrue();

            // ---- it returns with the same session key, within grace: its DMs are pushed
            LoadPeer back = LoadPeer.connect(broker.port(), ledger, slowMember, slowKeys, "slow", groups);
            peers.add(back);
            assertThat(DeliveryLedger.await(30_000, ledger::allAcked)).as("every send answered").isTrue();
            assertThat(DeliveryLedger.await(30_000, ledger::allAckedDelivered))
                    .as("acked DMs never delivered: %s", ledger.missing()).isTrue();

            String slowKey = slowKeys.publicKeyHex();
            List<Long> baseline = ledger.ackLatenciesMicros(baselineFrom, baselineTo, s -> !s.to().equals(slowKey));
            List<Long> during = ledger.ackLatenciesMicros(stallFrom, duringTo, s -> !s.to().equals(slowKey));
            long baselineMedian = DeliveryLedger.median(baseline);
            long duringMedian = DeliveryLedger.median(during);
            DeliveryLedger.Report r = ledger.report();
            System.out.printf("[reliability] slow-consumer: limit=%d B, flood=%d B every %d ms to the stuck peer, ring=%d"
                            + " DMs/s over %d peers; stuck %d ms until closed 1008 %s with %d B pending (frames read"
                            + " before stall %d, drained after %d); DMs to the stuck peer %d; %s; ring send→ack"
                            + " median baseline=%d us (n=%d) during=%d us (n=%d)%n",
                    MAX_PENDING, FLOOD_BYTES, FLOOD_PERIOD_MS, 1000 / RING_PERIOD_MS, RING,
                    TimeUnit.NANOSECONDS.toMillis(stallTo - stallFrom), slow.closeReason(), pendingAtClose,
                    framesBeforeStall, slow.framesRead() - framesBeforeStall, dmsToSlow, r, baselineMedian,
                    baseline.size(), duringMedian, during.size());

            assertThat(r.lost()).isZero();
            assertThat(r.corrupt()).isZero();
            assertThat(r.rejected()).isZero();
            assertThat(baseline).hasSizeGreaterThan(100);
            assertThat(during).hasSizeGreaterThan(100);
            // "within 2x of the baseline"; the 1 ms floor keeps sub-millisecond jitter from deciding the outcome
            assertThat(duringMedian).isLessThanOrEqualTo(Math.max(2 * baselineMedian, baselineMedian + 1_000));
        }
    }
}
