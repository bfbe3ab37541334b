package io.atlas.log.core;

import io.atlas.log.Checkpoint;
import io.atlas.log.Codec;
import io.atlas.log.CompactionMode;
import io.atlas.log.Compression;
import io.atlas.log.CompressionOptions;
import io.atlas.log.CorruptLogException;
import io.atlas.log.Decision;
import io.atlas.log.LogStats;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.RecoveryState;
import io.atlas.log.SeqNo;
import io.atlas.log.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static io.atlas.log.core.TestLogs.bytes;
import static io.atlas.log.core.TestLogs.decision;
import static io.atlas.log.core.TestLogs.decisions;
import static io.atlas.log.core.TestLogs.open;
import static io.atlas.log.core.TestLogs.openMemory;
import static io.atlas.log.core.TestLogs.seqs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine over the memory backend and over {@link FakeStorage}. */
class CorePersistentLogTest {

    @TempDir
    Path dir;

    @AfterEach
    void forgetMemory() {
        MemoryStorageProvider.discard(dir);
    }

    // ---------------------------------------------------------------- storing and reading decisions

    @ParameterizedTest
    @EnumSource(Compression.class)
    void g2_decisionsReadBackByteIdenticalUnderEveryCompression(Compression c) {
        byte[] big = new byte[5000];
        Arrays.fill(big, (byte) 'x');
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b.compression(CompressionOptions.of(c)).cacheSize(0))) {
            log.storeDecisions(decisions(1, 3));
            log.storeDecision(new Decision<>(SeqNo.of(4), 9, bytes("digest"), big, bytes("proof")));
            assertEquals(decision(2), log.retrieveDecision(SeqNo.of(2)).orElseThrow());
            assertArrayEquals(big, log.retrieveDecision(SeqNo.of(4)).orElseThrow().payload());
            assertEquals(List.of(1L, 2L, 3L, 4L), seqs(log.retrieveDecisionsAfter(SeqNo.ZERO)));
        }
        // records written under one compression stay readable under another
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b.cacheSize(0))) {
            assertArrayEquals(big, log.retrieveDecision(SeqNo.of(4)).orElseThrow().payload());
            assertEquals(4, log.verify());
        }
    }

    @Test
    void typedCodecsAreUsedForPayloadStateAndConfiguration() {
        try (PersistentLog<String, String, String> log = PersistentLogs.open(
                PersistentLogConfig.builder(dir).backend("memory").build(), Codec.utf8(), Codec.utf8(), Codec.utf8())) {
            log.storeDecision(Decision.of(SeqNo.of(1), "héllo"));
            log.storeCheckpoint(SeqNo.of(1), "state-1");
            log.storeConfiguration("replicas=4");
            RecoveryState<String, String, String> r = log.recover();
            assertEquals(Optional.of(new Checkpoint<>(SeqNo.of(1), "state-1")), r.checkpoint());
            assertEquals(List.of(), r.decisionsAfterCheckpoint());
            assertEquals(Optional.of("replicas=4"), r.configuration());
            assertEquals("héllo", log.retrieveDecision(SeqNo.of(1)).orElseThrow().payload());
        }
    }

    @Test
    void g9_decisionsMustBeContiguous() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            log.storeDecision(decision(100));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(102)));
            assertEquals("decisions must be stored in order: expected seq 101, got 102", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(100)));
            assertEquals(Optional.of(SeqNo.of(100)), log.lastSeqNo());
            assertEquals(Optional.of(SeqNo.of(100)), log.firstSeqNo());
            assertEquals(1, s.appends.get());
        }
    }

    @Test
    void g9_aBatchIsValidatedWholeBeforeAnythingIsWritten() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.maxSegmentSize(4096))) {
            log.storeDecision(decision(1));
            List<Decision<byte[]>> gap = new ArrayList<>(decisions(2, 4));
            gap.add(decision(6));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.storeDecisions(gap));
            assertEquals("decisions in a batch must have contiguous ascending seqs: decisions[3] has seq 6, expected 5", e.getMessage());
            List<Decision<byte[]>> oversized = new ArrayList<>(decisions(2, 4));
            oversized.add(new Decision<>(SeqNo.of(5), 0, new byte[0], new byte[4000], new byte[0]));
            e = assertThrows(IllegalArgumentException.class, () -> log.storeDecisions(oversized));
            assertTrue(e.getMessage().startsWith("decision at seq 5 encodes to "), e.getMessage());
            assertTrue(e.getMessage().contains("above the record limit of 3072 bytes"), e.getMessage());
            List<Decision<byte[]>> withNull = new ArrayList<>(decisions(2, 3));
            withNull.add(null);
            e = assertThrows(IllegalArgumentException.class, () -> log.storeDecisions(withNull));
            assertEquals("decisions[2] must not be null", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> log.storeDecisions(decisions(3, 5)));
            assertEquals("decisions must be stored in order: expected seq 2, got 3", e.getMessage());
            assertEquals(1, s.appends.get(), "nothing of a refused batch reaches the backend");
            log.storeDecisions(List.of());
            log.storeDecisions(decisions(2, 5));
            assertEquals(Optional.of(SeqNo.of(5)), log.lastSeqNo());
        }
    }

    @Test
    void forEachDecisionAfterStreamsInOrderAndPropagatesTheActionsException() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b)) {
            log.storeDecisions(decisions(10, 30));
            List<Long> seen = new ArrayList<>();
            log.forEachDecisionAfter(SeqNo.of(25), d -> seen.add(d.seqNo().value()));
            assertEquals(List.of(26L, 27L, 28L, 29L, 30L), seen);
            assertEquals(21, log.retrieveDecisionsAfter(SeqNo.of(3)).size());
            assertEquals(List.of(), log.retrieveDecisionsAfter(SeqNo.of(30)));
            assertEquals(List.of(), log.retrieveDecisionsAfter(SeqNo.of(Long.MAX_VALUE)));
            IllegalStateException stop = new IllegalStateException("stop here");
            assertSame(stop, assertThrows(IllegalStateException.class,
                    () -> log.forEachDecisionAfter(SeqNo.ZERO, d -> {
                        throw stop;
                    })));
            assertEquals(Optional.empty(), log.retrieveDecision(SeqNo.of(9)));
            assertEquals(Optional.empty(), log.retrieveDecision(SeqNo.of(31)));
        }
    }

    // ---------------------------------------------------------------- cache

    @Test
    void cacheIsLruBoundedByCacheSizeAndCountsHitsAndMisses() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.cacheSize(2))) {
            log.storeDecisions(decisions(1, 3)); // cache: 2, 3
            log.retrieveDecision(SeqNo.of(3));  // hit
            log.retrieveDecision(SeqNo.of(1));  // miss; cache: 3, 1
            log.retrieveDecision(SeqNo.of(2));  // miss; cache: 1, 2
            log.retrieveDecision(SeqNo.of(1));  // hit
            log.retrieveDecision(SeqNo.of(3));  // miss
            LogStats st = log.stats();
            assertEquals(2, st.cacheHits());
            assertEquals(3, st.cacheMisses());
            // a hit never reaches the backend: tampering is invisible until the entry is evicted
            s.onRead = (seq, b) -> {
                throw new AssertionError("backend read of seq " + seq + " despite a cached copy");
            };
            log.retrieveDecision(SeqNo.of(3));
            log.retrieveDecision(SeqNo.of(1));
        }
    }

    @Test
    void disabledCacheSendsEveryReadToTheBackend() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b.cacheSize(0))) {
            log.storeDecisions(decisions(1, 3));
            for (int i = 0; i < 3; i++) {
                log.retrieveDecision(SeqNo.of(2));
            }
            assertEquals(0, log.stats().cacheHits());
            assertEquals(3, log.stats().cacheMisses());
        }
    }

    @Test
    void cachedDecisionsAreCopiesAndAreInvalidatedByTruncation() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b.cacheSize(100))) {
            log.storeDecisions(decisions(1, 5));
            Decision<byte[]> first = log.retrieveDecision(SeqNo.of(4)).orElseThrow();
            first.payload()[0] = 'X';
            first.digest()[0] = 'X';
            assertEquals(decision(4), log.retrieveDecision(SeqNo.of(4)).orElseThrow(), "the cache hands out copies");
            log.truncateFrom(SeqNo.of(4));
            assertEquals(Optional.empty(), log.retrieveDecision(SeqNo.of(4)));
            Decision<byte[]> replacement = new Decision<>(SeqNo.of(4), 1, bytes("new"), bytes("new payload"), bytes("q"));
            log.storeDecision(replacement);
            assertEquals(replacement, log.retrieveDecision(SeqNo.of(4)).orElseThrow());
            log.storeCheckpoint(SeqNo.of(3), bytes("s3"));
            log.compactLogUpTo(SeqNo.of(3));
            assertEquals(Optional.empty(), log.retrieveDecision(SeqNo.of(2)));
        }
    }

    // ---------------------------------------------------------------- compaction (G6)

    @Test
    void g6_compactionNeedsACheckpointAtOrAboveThePoint() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b)) {
            log.storeDecisions(decisions(1, 10));
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> log.compactLogUpTo(SeqNo.of(3)));
            assertEquals("cannot compact the log up to seq 3: no checkpoint is stored; store a checkpoint at or above "
                    + "seq 3 first, so the log can be rebuilt (G6)", none.getMessage());
            log.storeCheckpoint(SeqNo.of(5), bytes("s5"));
            IllegalArgumentException above = assertThrows(IllegalArgumentException.class, () -> log.compactLogUpTo(SeqNo.of(6)));
            assertEquals("cannot compact the log up to seq 6: above the last checkpoint at seq 5; every decision after "
                    + "the last checkpoint must be kept (G6)", above.getMessage());
            assertEquals(Optional.of(SeqNo.of(1)), log.firstSeqNo());
            log.compactLogUpTo(SeqNo.of(3));
            assertEquals(Optional.of(SeqNo.of(4)), log.firstSeqNo());
            log.compactLogUpTo(SeqNo.of(2)); // below the first: no-op
            assertEquals(1, log.stats().compactions());
            log.compactLogUpTo(SeqNo.of(5));
            assertEquals(Optional.of(SeqNo.of(6)), log.firstSeqNo());
            assertEquals(List.of(6L, 7L, 8L, 9L, 10L), seqs(log.recover().decisionsAfterCheckpoint()));
        }
    }

    @Test
    void checkpointAboveTheLogThenCompactionEmptiesItAndTheLogContinuesAboveIt() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b)) {
            log.storeDecisions(decisions(1, 5));
            log.storeCheckpoint(SeqNo.of(100), bytes("state transfer"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(101)));
            assertTrue(e.getMessage().contains("expected seq 6, got 101 (the last checkpoint, at seq 100, is above the log"), e.getMessage());
            log.compactLogUpTo(SeqNo.of(100));
            assertEquals(Optional.empty(), log.lastSeqNo());
            e = assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(50)));
            assertEquals("the log is empty after compaction up to seq 100: expected a seq above 100, got 50", e.getMessage());
            log.storeDecision(decision(101));
            RecoveryState<byte[], byte[], byte[]> r = log.recover();
            assertEquals(SeqNo.of(100), r.checkpoint().orElseThrow().seqNo());
            assertEquals(List.of(101L), seqs(r.decisionsAfterCheckpoint()));
        }
        // the backend keeps the compaction point across reopen
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b)) {
            log.truncateFrom(SeqNo.of(101));
            assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(99)));
        }
    }

    @Test
    void onCheckpointCompactionKeepsCompactionRetainDecisions() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir,
                b -> b.compaction(CompactionMode.ON_CHECKPOINT).compactionRetain(3))) {
            log.storeDecisions(decisions(1, 10));
            log.storeCheckpoint(SeqNo.of(2), bytes("s2")); // 2 - 3 < 0: nothing to compact
            assertEquals(Optional.of(SeqNo.of(1)), log.firstSeqNo());
            log.storeCheckpoint(SeqNo.of(10), bytes("s10"));
            assertEquals(Optional.of(SeqNo.of(8)), log.firstSeqNo());
            assertEquals(1, log.stats().compactions());
        }
        MemoryStorageProvider.discard(dir);
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b.compaction(CompactionMode.ON_CHECKPOINT))) {
            log.storeDecisions(decisions(1, 10));
            log.storeCheckpoint(SeqNo.of(10), bytes("s10"));
            assertEquals(Optional.empty(), log.firstSeqNo());
            log.storeDecision(decision(11));
            assertEquals(List.of(11L), seqs(log.recover().decisionsAfterCheckpoint()));
        }
    }

    @Test
    void manualCompactionLeavesTheLogAloneOnCheckpoint() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b)) {
            log.storeDecisions(decisions(1, 10));
            log.storeCheckpoint(SeqNo.of(10), bytes("s10"));
            assertEquals(Optional.of(SeqNo.of(1)), log.firstSeqNo());
            assertEquals(0, log.stats().compactions());
        }
    }

    // ---------------------------------------------------------------- checkpoints

    @Test
    void checkpointRetentionDeletesTheOldestAfterTheNewOneIsDurable() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.checkpointsRetain(2).syncPolicy(SyncPolicy.none()))) {
            for (long i = 1; i <= 4; i++) {
                log.storeDecision(decision(i));
                log.storeCheckpoint(SeqNo.of(i), bytes("s" + i));
            }
            assertArrayEquals(new long[]{3, 4}, s.checkpointSeqs());
            assertEquals(Optional.empty(), log.retrieveCheckpoint(SeqNo.of(2)));
            assertArrayEquals(bytes("s3"), log.retrieveCheckpoint(SeqNo.of(3)).orElseThrow());
            assertEquals(new Checkpoint<>(SeqNo.of(4), bytes("s4")).seqNo(), log.retrieveLastCheckpoint().orElseThrow().seqNo());
            assertEquals(4, log.stats().checkpointsStored());
            List<String> events = new ArrayList<>(s.events);
            // decisions are synced before the checkpoint; old checkpoints go after the new one is stored
            assertEquals(List.of("append 1..1", "sync", "putCheckpoint 1", "append 2..2", "sync", "putCheckpoint 2",
                    "append 3..3", "sync", "putCheckpoint 3", "deleteCheckpoint 1", "append 4..4", "sync",
                    "putCheckpoint 4", "deleteCheckpoint 2"), events);
        }
    }

    @Test
    void checkpointsMustNotGoBackwardsButMayBeReplaced() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b)) {
            log.storeCheckpoint(SeqNo.of(5), bytes("a"));
            log.storeCheckpoint(SeqNo.of(5), bytes("b"));
            assertArrayEquals(bytes("b"), log.retrieveCheckpoint(SeqNo.of(5)).orElseThrow());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.storeCheckpoint(SeqNo.of(4), bytes("c")));
            assertEquals("checkpoint at seq 4 is below the last checkpoint at seq 5; checkpoints must not go backwards", e.getMessage());
        }
    }

    // ---------------------------------------------------------------- truncation

    @Test
    void truncateFromDropsTheSuffixDurablyAndRefusesCheckpointedSeqs() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.syncPolicy(SyncPolicy.none()))) {
            log.storeDecisions(decisions(1, 10));
            log.storeCheckpoint(SeqNo.of(4), bytes("s4"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.truncateFrom(SeqNo.of(4)));
            assertEquals("cannot truncate the log from seq 4: at or below the last checkpoint at seq 4, which already "
                    + "includes those decisions; expected a seq above 4", e.getMessage());
            log.storeDecisions(decisions(11, 12));
            s.events.clear();
            log.truncateFrom(SeqNo.of(8));
            assertEquals(List.of("sync", "truncateSuffix 8", "sync"), new ArrayList<>(s.events));
            assertEquals(Optional.of(SeqNo.of(7)), log.lastSeqNo());
            s.events.clear();
            log.truncateFrom(SeqNo.of(20)); // above the last: no-op
            assertEquals(List.of(), new ArrayList<>(s.events));
            IllegalArgumentException gap = assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(9)));
            assertEquals("decisions must be stored in order: expected seq 8, got 9", gap.getMessage());
            log.storeDecision(decision(8));
        }
    }

    // ---------------------------------------------------------------- recovery and verification

    @Test
    void recoverReturnsTheLastCheckpointTheDecisionsAfterItAndTheConfigurationIdempotently() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b)) {
            assertEquals(new RecoveryState<>(Optional.empty(), List.of(), Optional.empty()).toString(), log.recover().toString());
            log.storeDecisions(decisions(1, 10));
            log.storeCheckpoint(SeqNo.of(6), bytes("s6"));
            log.storeConfiguration(bytes("conf"));
            log.storeConfiguration(bytes("conf2"));
        }
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b)) {
            RecoveryState<byte[], byte[], byte[]> r = log.recover();
            assertEquals(SeqNo.of(6), r.checkpoint().orElseThrow().seqNo());
            assertArrayEquals(bytes("s6"), r.checkpoint().orElseThrow().state());
            assertEquals(decisions(7, 10), r.decisionsAfterCheckpoint());
            assertArrayEquals(bytes("conf2"), r.configuration().orElseThrow());
            RecoveryState<byte[], byte[], byte[]> again = log.recover();
            assertEquals(r.decisionsAfterCheckpoint(), again.decisionsAfterCheckpoint());
            assertFalse(log.stats().lastRecoveryTime().isNegative());
        }
    }

    @Test
    void g2_recoverDetectsAHoleInTheLog() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            log.storeDecisions(decisions(1, 6));
            s.hiddenFromScan.add(3L);
            CorruptLogException e = assertThrows(CorruptLogException.class, log::recover);
            assertTrue(e.getMessage().contains("decision 3 is missing: the backend returned seq 4 after seq 2"), e.getMessage());
            s.hiddenFromScan.clear();
            s.hiddenFromScan.add(6L);
            e = assertThrows(CorruptLogException.class, log::recover);
            assertTrue(e.getMessage().contains("decision 6 is missing: the log ends at seq 6"), e.getMessage());
            s.hiddenFromScan.clear();
            s.hiddenFromScan.add(1L);
            e = assertThrows(CorruptLogException.class, log::recover);
            assertTrue(e.getMessage().contains("decision 1 is missing"), e.getMessage());
            assertThrows(CorruptLogException.class, log::verify);
        }
    }

    @Test
    void g4_aBackendReturningAnotherRecordIsCaught() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.cacheSize(0))) {
            log.storeDecisions(decisions(1, 5));
            s.redirect = seq -> seq == 3 ? 4 : seq;
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> log.retrieveDecision(SeqNo.of(3)));
            assertEquals("log at " + dir.toAbsolutePath() + " (backend 'fake'): decision record at seq 3 is corrupt: the "
                    + "record holds seq 4; the backend returned the record of another seq", e.getMessage());
            e = assertThrows(CorruptLogException.class, log::recover);
            assertTrue(e.getMessage().contains("decision record at seq 3 is corrupt: the record holds seq 4"), e.getMessage());
            s.redirect = seq -> seq;
            s.scanSeq = seq -> seq == 2 ? 3 : seq;
            e = assertThrows(CorruptLogException.class, log::recover);
            assertTrue(e.getMessage().contains("decision 2 is missing: the backend returned seq 3 after seq 1"), e.getMessage());
            s.scanSeq = seq -> seq == 3 ? 2 : seq;
            e = assertThrows(CorruptLogException.class, () -> log.forEachDecisionAfter(SeqNo.ZERO, d -> { }));
            assertTrue(e.getMessage().contains("the backend returned seq 2 out of order, after seq 2"), e.getMessage());
        }
    }

    @Test
    void g4_verifyFindsTheFirstBadRecordAndCountsGoodOnes() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.cacheSize(0))) {
            log.storeDecisions(decisions(1, 5));
            log.storeCheckpoint(SeqNo.of(2), bytes("s2"));
            log.storeConfiguration(bytes("c"));
            assertEquals(5 + 1 + 1, log.verify());
            s.onRead = (seq, b) -> {
                if (seq == 4) {
                    byte[] bad = b.clone();
                    bad[bad.length - 1] ^= 1;
                    return bad;
                }
                return b;
            };
            CorruptLogException e = assertThrows(CorruptLogException.class, log::verify);
            assertTrue(e.getMessage().contains("decision record at seq 4 is corrupt: CRC32C mismatch"), e.getMessage());
            assertThrows(CorruptLogException.class, () -> log.retrieveDecision(SeqNo.of(4)));
            assertThrows(CorruptLogException.class, log::recover);
            assertEquals(decision(3), log.retrieveDecision(SeqNo.of(3)).orElseThrow());
        }
    }

    @Test
    void g4_corruptCheckpointAndMetadataAreDetected() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            log.storeCheckpoint(SeqNo.of(2), bytes("state"));
            log.storeMetadata("view", bytes("7"));
            s.onRead = (seq, b) -> {
                byte[] bad = b.clone();
                bad[bad.length - 1] ^= 1;
                return bad;
            };
            assertThrows(CorruptLogException.class, log::retrieveLastCheckpoint);
            assertThrows(CorruptLogException.class, () -> log.retrieveCheckpoint(SeqNo.of(2)));
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> log.retrieveMetadata("view"));
            assertTrue(e.getMessage().contains("metadata record 'view' is corrupt: CRC32C mismatch"), e.getMessage());
        }
    }

    @Test
    void payloadCodecFailureIsReportedAsCorruption() {
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b)) {
            log.storeDecision(Decision.of(SeqNo.of(1), new byte[]{(byte) 0xFF, (byte) 0xFE}));
        }
        try (PersistentLog<String, String, String> log = PersistentLogs.open(PersistentLogConfig.builder(dir).backend("memory").build(),
                Codec.utf8(), Codec.utf8(), Codec.utf8())) {
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> log.retrieveDecision(SeqNo.of(1)));
            assertTrue(e.getMessage().contains("decision at seq 1 (checksum valid) has a payload of 2 bytes that the payload codec cannot decode"),
                    e.getMessage());
        }
    }

    // ---------------------------------------------------------------- metadata and configuration

    @Test
    void metadataRoundTripsWithinItsLimits() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            byte[] max = new byte[1 << 20];
            max[7] = 1;
            log.storeMetadata("vote.last", max);
            assertArrayEquals(max, log.retrieveMetadata("vote.last").orElseThrow());
            log.storeMetadata("vote.last", new byte[0]);
            assertArrayEquals(new byte[0], log.retrieveMetadata("vote.last").orElseThrow());
            assertEquals(Optional.empty(), log.retrieveMetadata("absent"));
            String longest = "k".repeat(128);
            log.storeMetadata(longest, bytes("v"));
            assertArrayEquals(bytes("v"), log.retrieveMetadata(longest).orElseThrow());
            log.storeConfiguration(bytes("cfg"));
            assertTrue(s.events.contains("putMeta atlas.configuration"), s.events.toString());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> log.storeMetadata("atlas.configuration", bytes("x")));
            assertEquals("metadata key 'atlas.configuration' starts with 'atlas.', which is reserved for the log itself; "
                    + "choose another key", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> log.retrieveMetadata("atlas.configuration"));
            assertArrayEquals(bytes("cfg"), log.retrieveConfiguration().orElseThrow());
        }
    }

    // ---------------------------------------------------------------- stats and close

    @Test
    void statsCountWhatWasStored() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            LogStats empty = log.stats();
            assertEquals(0, empty.syncs());
            assertEquals(0.0, empty.meanBatchPerSync());
            log.storeDecision(decision(1));
            log.storeDecisions(decisions(2, 4));
            log.storeCheckpoint(SeqNo.of(4), bytes("s"));
            LogStats st = log.stats();
            assertEquals(4, st.decisionsStored());
            assertEquals(2, st.syncs());
            assertEquals(2.0, st.meanBatchPerSync());
            assertEquals(3, st.maxBatchPerSync());
            assertEquals(1, st.checkpointsStored());
            assertTrue(st.bytesWritten() > 4 * RecordFormat.HEADER, st.toString());
            assertTrue(st.syncLatencyP50().compareTo(st.syncLatencyP99()) <= 0);
            assertTrue(st.syncLatencyP99().compareTo(st.syncLatencyMax()) <= 0);
        }
    }

    @Test
    void percentilesUseNearestRank() {
        long[] v = new long[100];
        for (int i = 0; i < 100; i++) {
            v[i] = i + 1;
        }
        assertEquals(50, LogMetrics.percentile(v, 50));
        assertEquals(99, LogMetrics.percentile(v, 99));
        assertEquals(7, LogMetrics.percentile(new long[]{7}, 99));
        assertEquals(0, LogMetrics.percentile(new long[0], 50));
    }

    @Test
    void closeIsIdempotentSyncsAndLaterCallsAreRefused() {
        FakeStorage s = new FakeStorage();
        PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.syncPolicy(SyncPolicy.none()));
        log.storeDecision(decision(1));
        assertEquals(0, s.syncs.get());
        log.close();
        assertEquals(1, s.syncs.get());
        assertEquals(1, s.closes.get());
        log.close();
        assertEquals(1, s.closes.get());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> log.retrieveDecision(SeqNo.of(1)));
        assertEquals("log at " + dir.toAbsolutePath() + " (backend 'fake') is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> log.storeDecision(decision(2)));
        assertThrows(IllegalStateException.class, log::stats);
        assertThrows(IllegalStateException.class, log::sync);
    }

    @Test
    void closeFromInsideForEachIsRefusedInsteadOfDeadlocking() {
        PersistentLog<byte[], byte[], byte[]> log = openMemory(dir, b -> b);
        log.storeDecisions(decisions(1, 2));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> log.forEachDecisionAfter(SeqNo.ZERO, d -> log.close()));
        assertTrue(e.getMessage().contains("was called from inside one of its own calls"), e.getMessage());
        // nested calls other than close are fine
        log.forEachDecisionAfter(SeqNo.of(1), d -> log.retrieveDecision(SeqNo.of(1)));
        log.close();
        assertThrows(IllegalStateException.class, log::lastSeqNo);
    }
}
