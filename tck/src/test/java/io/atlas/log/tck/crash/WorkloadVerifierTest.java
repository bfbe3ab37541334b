package io.atlas.log.tck.crash;

import io.atlas.log.Codec;
import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.SyncPolicy;
import io.atlas.log.core.MemoryStorageProvider;
import io.atlas.log.core.PersistentLogs;
import io.atlas.log.tck.crash.CrashEvent.Op;
import io.atlas.log.tck.crash.CrashEvent.Type;
import io.atlas.log.tck.crash.CrashVerifier.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The child's workload and the parent's verifier, in one JVM on the in-memory backend with no crash:
 * everything the workload does must verify clean, and the verifier must notice a change to the result.
 * This pins the protocol the two sides share without starting processes.
 */
class WorkloadVerifierTest {

    private static final long SEED = Long.getLong("atlas.crash.seed", 20240611L);

    @TempDir
    Path dir;

    private PersistentLogConfig config;

    @BeforeEach
    void config() {
        config = PersistentLogConfig.builder(dir.resolve("log")).backend(MemoryStorageProvider.NAME)
                .maxSegmentSize(1 << 20).checkpointsRetain(2).build();
    }

    @AfterEach
    void discard() {
        MemoryStorageProvider.discard(dir.resolve("log"));
    }

    /** Feeds protocol lines written by the workload straight into a history. */
    private static OutputStream into(CrashHistory history) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                throw new IllegalStateException("the protocol writes whole lines");
            }

            @Override
            public void write(byte[] b, int off, int len) {
                for (String line : new String(b, off, len, StandardCharsets.UTF_8).split("\n")) {
                    history.add(CrashEvent.parse(line));
                }
            }
        };
    }

    private PersistentLog<byte[], byte[], byte[]> open(SyncPolicy policy) {
        return PersistentLogs.open(config.toBuilder().syncPolicy(policy).build(), new MemoryStorageProvider(),
                Codec.bytes(), Codec.bytes(), Codec.bytes());
    }

    private LogSnapshot runLives(CrashHistory history, int lives, int opsPerLife) throws Exception {
        ProtocolOut out = new ProtocolOut(into(history));
        SyncPolicy[] policies = {SyncPolicy.everyWrite(), SyncPolicy.none()};
        for (int life = 1; life <= lives; life++) {
            history.startLife(life, policies[life % 2]);
            try (PersistentLog<byte[], byte[], byte[]> log = open(policies[life % 2])) {
                new Workload(log, out, SEED, life, Workload.Mix.MIXED).run(opsPerLife, System.nanoTime() + 60_000_000_000L);
            }
        }
        try (PersistentLog<byte[], byte[], byte[]> log = open(SyncPolicy.everyWrite())) {
            return LogSnapshot.read(log, CrashVerifier.checkpointSeqs(history), Workload.META_KEYS);
        }
    }

    @Test
    void everyOperationOfTheWorkloadVerifies() throws Exception {
        CrashHistory history = new CrashHistory(Optional.empty());
        LogSnapshot snapshot = runLives(history, 3, 800);
        for (Op op : Op.values()) {
            assertTrue(history.entries().stream().anyMatch(e -> e.event().type() == Type.ACK && e.event().op() == op),
                    () -> "the workload (seed " + SEED + ") never acknowledged a " + op);
        }
        CrashVerifier.Result r = CrashVerifier.verify(SEED, history, snapshot, Fault.POWER_LOSS);
        assertTrue(r.violations().isEmpty(), () -> "seed " + SEED + ":\n" + String.join("\n", r.violations()));
        assertTrue(r.required() > 0 && r.stored() > 0, () -> "nothing checked: " + r);
        assertEquals(0, r.lostAcknowledged(), () -> "a clean close lost decisions: " + r);
    }

    @Test
    void aDecisionDroppedFromTheEndIsNoticed() throws Exception {
        CrashHistory history = new CrashHistory(Optional.empty());
        LogSnapshot snapshot = runLives(history, 2, 400);
        TreeMap<Long, Decision<byte[]>> fewer = new TreeMap<>(snapshot.decisions());
        long last = fewer.lastKey();
        fewer.remove(last);
        LogSnapshot cut = new LogSnapshot(fewer, snapshot.lastCheckpoint(), snapshot.checkpoints(),
                snapshot.configuration(), snapshot.metadata(), List.of());
        CrashVerifier.Result r = CrashVerifier.verify(SEED, history, cut, Fault.PROCESS_KILL);
        assertTrue(r.violations().stream().anyMatch(v -> v.startsWith("G1: acknowledged decision " + last + " ")),
                () -> "seed " + SEED + ": expected G1 for " + last + ", got:\n" + String.join("\n", r.violations()));
    }

    @Test
    void summaryChangesWithTheContent() throws Exception {
        CrashHistory history = new CrashHistory(Optional.empty());
        LogSnapshot snapshot = runLives(history, 1, 200);
        TreeMap<Long, Decision<byte[]>> changed = new TreeMap<>(snapshot.decisions());
        Decision<byte[]> d = changed.lastEntry().getValue();
        byte[] p = d.payload().clone();
        p[0] ^= 1;
        changed.put(changed.lastKey(), new Decision<>(d.seqNo(), d.view(), d.digest(), p, d.proof()));
        LogSnapshot other = new LogSnapshot(changed, snapshot.lastCheckpoint(), snapshot.checkpoints(),
                snapshot.configuration(), snapshot.metadata(), List.of());
        assertTrue(snapshot.problems().isEmpty(), () -> String.join("\n", snapshot.problems()));
        assertTrue(!snapshot.summary().equals(other.summary()), "one flipped bit must change the summary");
    }
}
