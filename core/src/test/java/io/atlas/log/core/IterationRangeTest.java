package io.atlas.log.core;

import io.atlas.log.CompactionMode;
import io.atlas.log.PersistentLog;
import io.atlas.log.SeqNo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.atlas.log.core.TestLogs.decisions;
import static io.atlas.log.core.TestLogs.open;
import static io.atlas.log.core.TestLogs.seqs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** forEachDecisionAfter sees the range as of its start while other threads compact and truncate. */
class IterationRangeTest {

    @TempDir
    Path dir;

    @Test
    void g2_compactionFromAnotherThreadWaitsForTheIteration() throws Exception {
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, new FakeStorage())) {
            log.storeDecisions(decisions(0, 999));
            log.storeCheckpoint(SeqNo.of(900), new byte[] {1});
            List<Long> seen = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<CompletableFuture<Void>> compaction = new AtomicReference<>();
            log.forEachDecisionAfter(SeqNo.of(99), d -> {
                seen.add(d.seqNo().value());
                if (d.seqNo().value() == 333) {
                    compaction.set(CompletableFuture.runAsync(() -> {
                        started.countDown();
                        log.compactLogUpTo(SeqNo.of(666));
                    }));
                    try {
                        assertTrue(started.await(10, TimeUnit.SECONDS));
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    assertFalse(compaction.get().isDone(), "G2: compaction must wait for the running iteration");
                }
            });
            assertEquals(900, seen.size(), "G2: the iteration saw the range 100..999 as of its start");
            assertEquals(seqs(decisions(100, 999)), seen);
            compaction.get().get(10, TimeUnit.SECONDS);
            assertEquals(SeqNo.of(667), log.firstSeqNo().orElseThrow());
        }
    }

    @Test
    void compactionAndTruncationFromInsideTheActionAreRefused() throws Exception {
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, new FakeStorage())) {
            log.storeDecisions(decisions(0, 9));
            log.storeCheckpoint(SeqNo.of(5), new byte[] {1});
            IllegalStateException compact = assertThrows(IllegalStateException.class,
                    () -> log.forEachDecisionAfter(SeqNo.ZERO, d -> log.compactLogUpTo(SeqNo.of(3))));
            assertTrue(compact.getMessage().contains("forEachDecisionAfter"), compact.getMessage());
            assertThrows(IllegalStateException.class,
                    () -> log.forEachDecisionAfter(SeqNo.ZERO, d -> log.truncateFrom(SeqNo.of(8))));
            assertEquals(SeqNo.ZERO, log.firstSeqNo().orElseThrow(), "nothing was compacted");
            assertEquals(SeqNo.of(9), log.lastSeqNo().orElseThrow(), "nothing was truncated");
        }
    }

    @Test
    void g6_checkpointInsideTheActionLeavesCompactionToTheNextCheckpoint() throws Exception {
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, new FakeStorage(),
                b -> b.compaction(CompactionMode.ON_CHECKPOINT))) {
            log.storeDecisions(decisions(0, 9));
            List<Long> seen = new ArrayList<>();
            log.forEachDecisionAfter(SeqNo.of(1), d -> {
                seen.add(d.seqNo().value());
                if (d.seqNo().value() == 4) {
                    log.storeCheckpoint(SeqNo.of(4), new byte[] {4});
                }
            });
            assertEquals(seqs(decisions(2, 9)), seen);
            assertEquals(SeqNo.ZERO, log.firstSeqNo().orElseThrow(), "compaction waited");
            log.storeCheckpoint(SeqNo.of(6), new byte[] {6});
            assertEquals(SeqNo.of(7), log.firstSeqNo().orElseThrow(), "the next checkpoint compacted");
        }
    }
}
