package io.atlas.log.core;

import io.atlas.log.Codec;
import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.SeqNo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static io.atlas.log.core.TestLogs.bytes;
import static io.atlas.log.core.TestLogs.decision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** G9: every bad argument of every public method is refused with a message that says what was expected. */
class ArgumentValidationTest {

    @TempDir
    static Path tmp;

    private static PersistentLog<byte[], byte[], byte[]> log;

    @BeforeAll
    static void openLog() {
        log = PersistentLogs.openBytes(PersistentLogConfig.builder(tmp.resolve("log")).backend("memory")
                .maxSegmentSize(8192).build());
        log.storeDecision(decision(1));
    }

    @AfterAll
    static void closeLog() {
        log.close();
        MemoryStorageProvider.discard(tmp.resolve("log"));
    }

    private static Arguments bad(String call, Executable executable, Class<? extends Throwable> type, String message) {
        return Arguments.of(call, executable, type, message);
    }

    private static final Codec<byte[]> BYTES = Codec.bytes();
    private static final byte[] OVER_1_MIB = new byte[(1 << 20) + 1];

    static Stream<Arguments> badArguments() {
        PersistentLogConfig config = PersistentLogConfig.builder(tmp.resolve("other")).backend("memory").build();
        List<Decision<byte[]>> withNull = new ArrayList<>(Arrays.asList(decision(2), null));
        return Stream.of(
                bad("storeDecision(null)", () -> log.storeDecision(null), IllegalArgumentException.class, "decision must not be null"),
                bad("storeDecisionAsync(null)", () -> log.storeDecisionAsync(null), IllegalArgumentException.class, "decision must not be null"),
                bad("storeDecision(seq 3 after 1)", () -> log.storeDecision(decision(3)), IllegalArgumentException.class,
                        "expected seq 2, got 3"),
                bad("storeDecisionAsync(seq 1 again)", () -> log.storeDecisionAsync(decision(1)), IllegalArgumentException.class,
                        "expected seq 2, got 1"),
                bad("storeDecision(oversized)", () -> log.storeDecision(Decision.of(SeqNo.of(2), new byte[8192])),
                        IllegalArgumentException.class, "above the record limit of 7168 bytes"),
                bad("storeDecisions(null)", () -> log.storeDecisions(null), IllegalArgumentException.class,
                        "decisions must not be null (use an empty list)"),
                bad("storeDecisions([d, null])", () -> log.storeDecisions(withNull), IllegalArgumentException.class,
                        "decisions[1] must not be null"),
                bad("retrieveDecision(null)", () -> log.retrieveDecision(null), IllegalArgumentException.class, "seqNo must not be null"),
                bad("retrieveDecisionsAfter(null)", () -> log.retrieveDecisionsAfter(null), IllegalArgumentException.class,
                        "seqNo must not be null"),
                bad("forEachDecisionAfter(null, action)", () -> log.forEachDecisionAfter(null, d -> { }),
                        IllegalArgumentException.class, "seqNo must not be null"),
                bad("forEachDecisionAfter(seq, null)", () -> log.forEachDecisionAfter(SeqNo.ZERO, null),
                        IllegalArgumentException.class, "action must not be null"),
                bad("storeCheckpoint(null, state)", () -> log.storeCheckpoint(null, bytes("s")), IllegalArgumentException.class,
                        "checkpoint seqNo must not be null"),
                bad("storeCheckpoint(seq, null)", () -> log.storeCheckpoint(SeqNo.of(1), null), IllegalArgumentException.class,
                        "checkpoint state must not be null at seq 1"),
                bad("retrieveCheckpoint(null)", () -> log.retrieveCheckpoint(null), IllegalArgumentException.class, "seqNo must not be null"),
                bad("storeConfiguration(null)", () -> log.storeConfiguration(null), IllegalArgumentException.class,
                        "configuration must not be null"),
                bad("storeConfiguration(> 1 MiB)", () -> log.storeConfiguration(OVER_1_MIB), IllegalArgumentException.class,
                        "configuration encodes to 1048577 bytes, above the limit of 1048576 bytes (1 MiB)"),
                bad("storeMetadata(null, v)", () -> log.storeMetadata(null, bytes("v")), IllegalArgumentException.class,
                        "metadata key must not be null"),
                bad("storeMetadata('', v)", () -> log.storeMetadata("", bytes("v")), IllegalArgumentException.class,
                        "metadata key '' is invalid; expected 1-128 characters of [A-Za-z0-9._-]"),
                bad("storeMetadata('a b', v)", () -> log.storeMetadata("a b", bytes("v")), IllegalArgumentException.class,
                        "metadata key 'a b' is invalid; expected 1-128 characters of [A-Za-z0-9._-]"),
                bad("storeMetadata(129 chars, v)", () -> log.storeMetadata("k".repeat(129), bytes("v")), IllegalArgumentException.class,
                        "is invalid; expected 1-128 characters"),
                bad("storeMetadata('atlas.x', v)", () -> log.storeMetadata("atlas.x", bytes("v")), IllegalArgumentException.class,
                        "starts with 'atlas.', which is reserved for the log itself"),
                bad("storeMetadata(k, null)", () -> log.storeMetadata("k", null), IllegalArgumentException.class,
                        "metadata value must not be null (use an empty array) for key 'k'"),
                bad("storeMetadata(k, > 1 MiB)", () -> log.storeMetadata("k", OVER_1_MIB), IllegalArgumentException.class,
                        "metadata value for key 'k' is 1048577 bytes, above the limit of 1048576 bytes (1 MiB)"),
                bad("retrieveMetadata(null)", () -> log.retrieveMetadata(null), IllegalArgumentException.class,
                        "metadata key must not be null"),
                bad("retrieveMetadata('a/b')", () -> log.retrieveMetadata("a/b"), IllegalArgumentException.class,
                        "metadata key 'a/b' is invalid"),
                bad("compactLogUpTo(null)", () -> log.compactLogUpTo(null), IllegalArgumentException.class, "seqNo must not be null"),
                bad("compactLogUpTo(no checkpoint)", () -> log.compactLogUpTo(SeqNo.of(1)), IllegalArgumentException.class,
                        "no checkpoint is stored"),
                bad("truncateFrom(null)", () -> log.truncateFrom(null), IllegalArgumentException.class, "seqNo must not be null"),
                bad("open(null config)", () -> PersistentLogs.open(null, BYTES, BYTES, BYTES), IllegalArgumentException.class,
                        "config must not be null"),
                bad("open(null payload codec)", () -> PersistentLogs.open(config, null, BYTES, BYTES), IllegalArgumentException.class,
                        "payload codec must not be null"),
                bad("open(null state codec)", () -> PersistentLogs.open(config, BYTES, null, BYTES), IllegalArgumentException.class,
                        "state codec must not be null"),
                bad("open(null configuration codec)", () -> PersistentLogs.open(config, BYTES, BYTES, null), IllegalArgumentException.class,
                        "configuration codec must not be null"),
                bad("open(config, null provider)", () -> PersistentLogs.open(config, null, BYTES, BYTES, BYTES),
                        IllegalArgumentException.class, "storage provider must not be null"),
                bad("openBytes(null)", () -> PersistentLogs.openBytes(null), IllegalArgumentException.class, "config must not be null"),
                bad("SeqNo.of(-1)", () -> SeqNo.of(-1), IllegalArgumentException.class, "sequence number must be >= 0, got -1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badArguments")
    void g9_badArgumentIsRefusedWithAMessage(String call, Executable executable, Class<? extends Throwable> type, String message) {
        Throwable e = assertThrows(type, executable, call);
        assertTrue(e.getMessage().contains(message), call + ": '" + e.getMessage() + "' lacks '" + message + "'");
        assertEquals(java.util.Optional.of(SeqNo.of(1)), log.lastSeqNo(), call + " changed the log");
    }

    @Test
    void g9_aCodecThatReturnsNullIsReported() {
        Codec<String> broken = new Codec<>() {
            @Override
            public byte[] encode(String value) {
                return null;
            }

            @Override
            public String decode(byte[] bytes) {
                return null;
            }

            @Override
            public String toString() {
                return "BrokenCodec";
            }
        };
        Path d = tmp.resolve("broken-codec");
        try (PersistentLog<String, String, String> l = PersistentLogs.open(
                PersistentLogConfig.builder(d).backend("memory").build(), broken, broken, broken)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.storeDecision(Decision.of(SeqNo.of(1), "x")));
            assertEquals("payload codec BrokenCodec returned null for the decision at seq 1", e.getMessage());
            assertThrows(IllegalStateException.class, () -> l.storeCheckpoint(SeqNo.of(1), "s"));
            assertThrows(IllegalStateException.class, () -> l.storeConfiguration("c"));
        } finally {
            MemoryStorageProvider.discard(d);
        }
    }
}
