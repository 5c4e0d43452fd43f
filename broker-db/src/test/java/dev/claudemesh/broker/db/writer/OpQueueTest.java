package dev.claudemesh.broker.db.writer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpQueueTest {

    @Test
    void shouldHandItemsOverInOrderAndDrainWithoutWaiting() throws InterruptedException {
        OpQueue q = new OpQueue();
        List<Pending> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Pending p = Pending.marker(null);
            sent.add(p);
            q.add(p);
        }
        List<Pending> got = new ArrayList<>();
        got.add(q.poll(1, TimeUnit.SECONDS));
        q.drainTo(got, 3);
        assertThat(got).containsExactlyElementsOf(sent.subList(0, 4));
        q.drainTo(got, 10);
        assertThat(got).containsExactlyElementsOf(sent);
        assertThat(q.poll(0, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void shouldWakeAWaitingConsumerForEveryItemOfManyProducers() throws Exception {
        OpQueue q = new OpQueue();
        int producers = 4;
        int each = 20_000;
        CompletableFuture<Integer> consumer = CompletableFuture.supplyAsync(() -> {
            int n = 0;
            try {
                // a lost wake-up would leave this waiting the whole 30 s and come back with fewer than all items
                while (n < producers * each && q.poll(30, TimeUnit.SECONDS) != null) {
                    n++;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return n;
        });
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < producers; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    q.add(Pending.marker(null));
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertThat(consumer.get(60, TimeUnit.SECONDS)).isEqualTo(producers * each);
    }

    @Test
    void shouldThrowWhenTheWaitingConsumerIsInterrupted() {
        OpQueue q = new OpQueue();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> q.poll(30, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
    }
}
