package io.atlas.log.core;

import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.SeqNo;
import io.atlas.log.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.atlas.log.core.TestLogs.decision;
import static io.atlas.log.core.TestLogs.decisions;
import static io.atlas.log.core.TestLogs.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Readers running against writers that mix every kind of store, under each sync policy: every read
 * returns exactly what was stored, every future completes, and recovery sees the whole log.
 * Seeded: rerun a failure with -Datlas.test.seed=N.
 */
class ConcurrencyTest {

    private static final long SEED = Long.getLong("atlas.test.seed", System.nanoTime());

    @TempDir
    Path dir;

    @Test
    void g2_readsConcurrentWithWritesSeeExactlyWhatWasStored() throws Exception {
        System.out.println("ConcurrencyTest seed: " + SEED + " (rerun with -Datlas.test.seed=" + SEED + ")");
        for (SyncPolicy policy : List.of(SyncPolicy.everyWrite(), SyncPolicy.periodic(Duration.ofMillis(1)), SyncPolicy.none())) {
            run(policy, new Random(SEED), dir.resolve(policy.toString().replace(':', '-')));
        }
    }

    private void run(SyncPolicy policy, Random random, Path logDir) throws Exception {
        FakeStorage storage = new FakeStorage();
        int total = 2000;
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        try (PersistentLog<byte[], byte[], byte[]> log = open(logDir, storage, b -> b.syncPolicy(policy).cacheSize(64))) {
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                long readerSeed = random.nextLong();
                Thread t = new Thread(() -> {
                    Random rr = new Random(readerSeed);
                    try {
                        while (!done.get()) {
                            Optional<SeqNo> last = log.lastSeqNo();
                            if (last.isEmpty()) {
                                continue;
                            }
                            long seq = 1 + (long) (rr.nextDouble() * last.get().value());
                            Optional<Decision<byte[]>> d = log.retrieveDecision(SeqNo.of(seq));
                            if (d.isPresent() && !d.get().equals(decision(seq))) {
                                throw new AssertionError("seq " + seq + " read back as " + d.get());
                            }
                            if (rr.nextInt(50) == 0) {
                                long[] expected = {-1};
                                log.forEachDecisionAfter(SeqNo.of(Math.max(0, seq - 20)), x -> {
                                    if (expected[0] >= 0 && x.seqNo().value() != expected[0]) {
                                        throw new AssertionError("scan skipped from " + expected[0] + " to " + x.seqNo());
                                    }
                                    expected[0] = x.seqNo().value() + 1;
                                });
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }, "reader-" + r);
                t.start();
                readers.add(t);
            }
            List<CompletableFuture<SeqNo>> futures = new ArrayList<>();
            long next = 1;
            while (next <= total) {
                int kind = random.nextInt(10);
                if (kind < 4) {
                    log.storeDecision(decision(next++));
                } else if (kind < 8) {
                    futures.add(log.storeDecisionAsync(decision(next++)));
                } else {
                    long to = Math.min(total, next + random.nextInt(20));
                    log.storeDecisions(decisions(next, to));
                    next = to + 1;
                }
                if (random.nextInt(200) == 0) {
                    log.storeCheckpoint(SeqNo.of(next - 1), new byte[]{1});
                }
            }
            log.sync();
            for (CompletableFuture<SeqNo> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
            done.set(true);
            for (Thread t : readers) {
                t.join();
            }
            assertTrue(errors.isEmpty(), policy + ": " + errors);
            assertEquals(decisions(1, total), log.retrieveDecisionsAfter(SeqNo.ZERO), policy.toString());
            assertEquals(total, log.stats().decisionsStored());
            assertTrue(storage.syncs.get() <= total, policy + ": " + storage.syncs.get() + " syncs");
        }
    }
}
