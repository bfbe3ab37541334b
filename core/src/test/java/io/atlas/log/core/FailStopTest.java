package io.atlas.log.core;

import io.atlas.log.CorruptLogException;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogException;
import io.atlas.log.SeqNo;
import io.atlas.log.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.atlas.log.core.TestLogs.bytes;
import static io.atlas.log.core.TestLogs.decision;
import static io.atlas.log.core.TestLogs.decisions;
import static io.atlas.log.core.TestLogs.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** G8: after a failed write or sync nothing is acknowledged and every later write fails until reopen. */
class FailStopTest {

    @TempDir
    Path dir;

    /** Every write and sync of a failed log throws, naming the first failure as its cause. */
    private static void assertFailStopped(PersistentLog<byte[], byte[], byte[]> log, Throwable firstFailure) {
        List<Executable> writes = List.of(
                () -> log.storeDecision(decision(100)),
                () -> log.storeDecisions(decisions(100, 101)),
                () -> log.storeCheckpoint(SeqNo.of(1), bytes("s")),
                () -> log.storeConfiguration(bytes("c")),
                () -> log.storeMetadata("view", bytes("1")),
                () -> log.truncateFrom(SeqNo.of(1)),
                log::sync);
        for (Executable w : writes) {
            PersistentLogException e = assertThrows(PersistentLogException.class, w);
            assertTrue(e.getMessage().contains("failed earlier; reopen it"), e.getMessage());
            assertSame(firstFailure, e.getCause());
        }
        CompletableFuture<SeqNo> f = log.storeDecisionAsync(decision(100));
        ExecutionException ee = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        assertInstanceOf(PersistentLogException.class, ee.getCause());
    }

    @Test
    void g8_failedAppendFailStopsTheLogButReadsStillWork() {
        FakeStorage s = new FakeStorage();
        PersistentLog<byte[], byte[], byte[]> log = open(dir, s);
        log.storeDecisions(decisions(1, 3));
        IOException fault = FakeStorage.injected("append: No space left on device");
        s.failNext(FakeStorage.Op.APPEND, fault);
        PersistentLogException e = assertThrows(PersistentLogException.class, () -> log.storeDecision(decision(4)));
        assertSame(fault, e.getCause());
        assertTrue(e.getMessage().contains("append of the decision at seq 4 failed"), e.getMessage());
        assertTrue(e.getMessage().contains("fail-stopped"), e.getMessage());
        assertFailStopped(log, e);
        assertEquals(decision(2), log.retrieveDecision(SeqNo.of(2)).orElseThrow());
        assertEquals(3, log.retrieveDecisionsAfter(SeqNo.ZERO).size());
        int syncs = s.syncs.get();
        log.close();
        assertEquals(syncs, s.syncs.get(), "a failed log is not synced at close");
        assertEquals(1, s.closes.get());
        // the lock was released: the directory opens again
        open(dir, new FakeStorage()).close();
    }

    @Test
    void g8_failedSyncIsNeverAcknowledged() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            IOException fault = FakeStorage.injected("fdatasync: Input/output error");
            s.failNext(FakeStorage.Op.SYNC, fault);
            PersistentLogException e = assertThrows(PersistentLogException.class, () -> log.storeDecision(decision(1)));
            assertSame(fault, e.getCause());
            assertTrue(e.getMessage().contains("sync failed"), e.getMessage());
            assertFailStopped(log, e);
        }
    }

    @Test
    void g8_pendingFuturesFailWhenTheirSyncFails() throws Exception {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.syncPolicy(SyncPolicy.none()))) {
            CompletableFuture<SeqNo> f1 = log.storeDecisionAsync(decision(1));
            log.sync();
            CompletableFuture<SeqNo> f2 = log.storeDecisionAsync(decision(2));
            CompletableFuture<SeqNo> f3 = log.storeDecisionAsync(decision(3));
            s.failNext(FakeStorage.Op.SYNC, FakeStorage.injected("fdatasync"));
            PersistentLogException e = assertThrows(PersistentLogException.class, log::sync);
            assertEquals(SeqNo.of(1), f1.get(), "made durable before the failure");
            for (CompletableFuture<SeqNo> f : List.of(f2, f3)) {
                ExecutionException ee = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertSame(e, ee.getCause());
            }
        }
    }

    @Test
    void g8_everyWriteFutureFailsWhenTheBackgroundSyncFails() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            s.failNext(FakeStorage.Op.SYNC, FakeStorage.injected("fdatasync"));
            CompletableFuture<SeqNo> f = log.storeDecisionAsync(decision(1));
            ExecutionException ee = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
            assertInstanceOf(PersistentLogException.class, ee.getCause());
            assertThrows(PersistentLogException.class, () -> log.storeDecision(decision(2)));
        }
    }

    @Test
    void g8_periodicFuturesFailWhenTheBackgroundSyncFails() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s,
                b -> b.syncPolicy(SyncPolicy.periodic(java.time.Duration.ofMillis(2))))) {
            s.failNext(FakeStorage.Op.SYNC, FakeStorage.injected("fdatasync"));
            CompletableFuture<SeqNo> f = log.storeDecisionAsync(decision(1));
            ExecutionException ee = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
            assertInstanceOf(PersistentLogException.class, ee.getCause());
        }
    }

    @Test
    void g8_failedStateWritesFailStopToo() {
        for (FakeStorage.Op op : List.of(FakeStorage.Op.PUT_CHECKPOINT, FakeStorage.Op.PUT_META,
                FakeStorage.Op.TRUNCATE_PREFIX, FakeStorage.Op.TRUNCATE_SUFFIX, FakeStorage.Op.DELETE_CHECKPOINT)) {
            FakeStorage s = new FakeStorage();
            try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.checkpointsRetain(1))) {
                log.storeDecisions(decisions(1, 5));
                log.storeCheckpoint(SeqNo.of(1), bytes("s1"));
                IOException fault = FakeStorage.injected(op.name());
                s.failNext(op, fault);
                Executable write = switch (op) {
                    case PUT_CHECKPOINT, DELETE_CHECKPOINT -> () -> log.storeCheckpoint(SeqNo.of(2), bytes("s2"));
                    case PUT_META -> () -> log.storeMetadata("view", bytes("1"));
                    case TRUNCATE_PREFIX -> () -> log.compactLogUpTo(SeqNo.of(1));
                    default -> () -> log.truncateFrom(SeqNo.of(3));
                };
                PersistentLogException e = assertThrows(PersistentLogException.class, write, op.name());
                assertSame(fault, e.getCause(), op.name());
                assertFailStopped(log, e);
            }
        }
    }

    @Test
    void g8_anyFailedSyncFailStopsEvenOneThatLooksLikeACallerMistake() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            IllegalArgumentException odd = new IllegalArgumentException(FakeStorage.INJECTED + ": sync refused");
            s.failNext(FakeStorage.Op.SYNC, odd);
            PersistentLogException e = assertThrows(PersistentLogException.class, () -> log.storeDecision(decision(1)));
            assertSame(odd, e.getCause());
            assertFailStopped(log, e);
        }
    }

    @Test
    void backendIllegalArgumentIsACallerMistakeAndDoesNotFailStop() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            IllegalArgumentException refusal = new IllegalArgumentException(FakeStorage.INJECTED + ": record too large for this backend");
            s.failNext(FakeStorage.Op.APPEND, refusal);
            assertSame(refusal, assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(1))));
            log.storeDecision(decision(1));
            assertEquals(1, log.retrieveDecisionsAfter(SeqNo.ZERO).size());
        }
    }

    @Test
    void g9_corruptionFromTheBackendPassesThroughUnchanged() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.cacheSize(0))) {
            log.storeDecisions(decisions(1, 5));
            CorruptLogException corrupt = new CorruptLogException(FakeStorage.INJECTED + ": bad checksum in segment 0 at offset 96, seq 4");
            s.failNext(FakeStorage.Op.TRUNCATE_SUFFIX, corrupt);
            assertSame(corrupt, assertThrows(CorruptLogException.class, () -> log.truncateFrom(SeqNo.of(4))));
            assertFailStopped(log, corrupt);
            CorruptLogException onRead = new CorruptLogException(FakeStorage.INJECTED + ": bad record at seq 2");
            s.failNext(FakeStorage.Op.READ, onRead);
            assertSame(onRead, assertThrows(CorruptLogException.class, () -> log.retrieveDecision(SeqNo.of(2))));
        }
    }

    @Test
    void readFailureIsWrappedWithoutFailStop() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s, b -> b.cacheSize(0))) {
            log.storeDecision(decision(1));
            IOException fault = FakeStorage.injected("read: Input/output error");
            s.failNext(FakeStorage.Op.READ, fault);
            PersistentLogException e = assertThrows(PersistentLogException.class, () -> log.retrieveDecision(SeqNo.of(1)));
            assertSame(fault, e.getCause());
            assertTrue(e.getMessage().contains("read of the decision at seq 1 failed"), e.getMessage());
            log.storeDecision(decision(2));
        }
    }

    @Test
    void unexpectedRuntimeExceptionFromTheBackendFailStops() {
        FakeStorage s = new FakeStorage();
        try (PersistentLog<byte[], byte[], byte[]> log = open(dir, s)) {
            IllegalStateException bug = new IllegalStateException(FakeStorage.INJECTED + ": backend bug");
            s.failNext(FakeStorage.Op.APPEND, bug);
            PersistentLogException e = assertThrows(PersistentLogException.class, () -> log.storeDecision(decision(1)));
            assertSame(bug, e.getCause());
            assertFailStopped(log, e);
        }
    }

    @Test
    void failingStorageCloseStillReleasesTheLock() {
        FakeStorage s = new FakeStorage();
        PersistentLog<byte[], byte[], byte[]> log = open(dir, s);
        IOException fault = FakeStorage.injected("close");
        s.failNext(FakeStorage.Op.CLOSE, fault);
        PersistentLogException e = assertThrows(PersistentLogException.class, log::close);
        assertSame(fault, e.getCause());
        open(dir, new FakeStorage()).close();
        log.close();
    }
}
