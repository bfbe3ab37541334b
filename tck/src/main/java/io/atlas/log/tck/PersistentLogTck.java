package io.atlas.log.tck;

import io.atlas.log.BackendNotFoundException;
import io.atlas.log.Checkpoint;
import io.atlas.log.Codec;
import io.atlas.log.CompactionMode;
import io.atlas.log.Compression;
import io.atlas.log.CompressionOptions;
import io.atlas.log.Decision;
import io.atlas.log.IncompatibleLogException;
import io.atlas.log.LogLockedException;
import io.atlas.log.LogStats;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.PersistentLogException;
import io.atlas.log.RecoveryState;
import io.atlas.log.SeqNo;
import io.atlas.log.SyncPolicy;
import io.atlas.log.core.PersistentLogs;
import io.atlas.log.spi.Capability;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@link PersistentLog} API end to end, through {@code core} over a backend: every method,
 * checkpoints and their retention, configuration and metadata (G5), compaction and its refusal above
 * the last checkpoint (G6), suffix truncation, recovery, reopen under every sync policy, compression,
 * the directory lock from this and another process (G7), the manifest (G10), clear errors for bad
 * input (G9), readers running while a writer stores, and a seeded random sequence of operations
 * compared step by step with the same engine over the {@code memory} provider.
 *
 * <p>An implementor extends this class in a test folder and names the provider:
 * <pre>{@code
 * class MyBackendPersistentLogTckTest extends PersistentLogTck {
 *     @Override protected StorageProvider provider() { return new MyProvider(); }
 * }
 * }</pre>
 * The kit opens logs with {@code PersistentLogs.open(config, provider(), codecs...)}, so the provider
 * may live only in the test class path. Tests that need a {@link Capability#DURABLE} backend are
 * skipped for others, with the reason. Every assertion message starts with {@code [<provider name>] G<n>:}.
 *
 * <p>Hooks with defaults: {@link #scratchDirectory()}, {@link #maxSegmentSize()}, {@link #options()},
 * {@link #randomIterations()}, {@link #childJvmFlags()}, {@link #config(Path)}.
 */
public abstract class PersistentLogTck extends BackendKit {

    private static final String G1 = "G1";
    private static final String G2 = "G2";
    private static final String G4 = "G4";
    private static final String G5 = "G5";
    private static final String G6 = "G6";
    private static final String G7 = "G7";
    private static final String G9 = "G9";
    private static final String G10 = "G10";
    private static final String G11 = "G11";
    private static final String API = "API";

    private static final long FIRST = 1;
    private static final long SECOND = 2;
    /** How long a child JVM may take before the test gives up on it (a hang guard, not a timing assertion). */
    private static final long CHILD_TIMEOUT_SECONDS = 120;
    private static final long FUTURE_TIMEOUT_SECONDS = 60;


    /**
     * JVM flags for the child JVMs of the cross-process tests. Default: the {@code --add-opens} flags
     * of SPEC section 7 plus the module and {@code -D} flags this JVM was started with.
     */
    protected List<String> childJvmFlags() {
        return Kit.inheritedJvmFlags();
    }

    /**
     * The configuration every test starts from: this backend by name, {@link #maxSegmentSize()},
     * {@link #options()}, and no decision cache (so reads reach the backend). Tests change sync policy,
     * compaction and the rest on top of it.
     */
    protected PersistentLogConfig.Builder config(Path logDir) {
        PersistentLogConfig.Builder b = PersistentLogConfig.builder(logDir)
                .backend(provider().name())
                .maxSegmentSize(maxSegmentSize())
                .cacheSize(0);
        options().forEach((k, v) -> b.option(provider().name() + "." + k, v));
        return b;
    }

    // ---------------------------------------------------------------------------------------------
    // decisions (G1, G2)

    @Test
    public void g2_storedDecisionsReadBackEqual() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        assertTrue(log.retrieveDecision(SeqNo.ZERO).isEmpty(), m(G2, "retrieveDecision(0) of a new log"));
        List<Decision<byte[]>> stored = new ArrayList<>();
        stored.add(new Decision<>(SeqNo.of(0), 0, new byte[0], new byte[0], new byte[0]));
        stored.add(new Decision<>(SeqNo.of(1), Long.MAX_VALUE, new byte[32], new byte[] {1}, new byte[1]));
        stored.add(Decision.of(SeqNo.of(2), Kit.bytes(3, 2, 1000)));
        for (long seq = 3; seq < 40; seq++) {
            stored.add(decision(seq, FIRST));
        }
        for (Decision<byte[]> d : stored) {
            store(log, G2, d);
        }
        assertAllDecisions(log, stored, G2, "after storeDecision of each");
        assertTrue(log.retrieveDecision(SeqNo.of(40)).isEmpty(), m(G2, "retrieveDecision(40) above the last"));
        assertTrue(log.retrieveDecision(SeqNo.of(Long.MAX_VALUE)).isEmpty(), m(G2, "retrieveDecision(MAX_VALUE)"));
        log.close();
        assertAllDecisions(open(config(dir).build()), stored, G2, "after close and reopen");
    }

    @Test
    public void g2_storeDecisionsStoresOneBatch() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        storeAll(log, G2, List.of());
        assertTrue(log.lastSeqNo().isEmpty(), m(G2, "storeDecisions of an empty list is a no-op"));
        List<Decision<byte[]>> all = decisions(0, spanningSegments(3), FIRST);
        storeAll(log, G2, all.subList(0, 1));
        storeAll(log, G2, all.subList(1, 20));
        storeAll(log, G2, all.subList(20, all.size()));
        storeAll(log, G2, List.of());
        assertAllDecisions(log, all, G2, "after storeDecisions batches of 1, 19 and " + (all.size() - 20));
        log.close();
        assertAllDecisions(open(config(dir).build()), all, G2, "batches after reopen");
    }

    @Test
    public void g2_firstDecisionMayStartAtAnySeq() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        List<Decision<byte[]>> d = decisions(1_000_000, 5, FIRST);
        storeAll(log, G2, d);
        assertAllDecisions(log, d, G2, "a log whose first decision is 1000000");
        assertTrue(log.retrieveDecision(SeqNo.ZERO).isEmpty(), m(G2, "retrieveDecision(0) below the first"));
    }

    @Test
    public void g1_storeDecisionAsyncCompletesWhenDurable() throws Exception {
        for (SyncPolicy policy : List.of(SyncPolicy.everyWrite(), SyncPolicy.periodic(Duration.ofMillis(5)), SyncPolicy.none())) {
            PersistentLog<byte[], String, String> log = open(config(newDir()).syncPolicy(policy).build());
            List<Decision<byte[]>> d = decisions(0, 30, FIRST);
            List<CompletableFuture<SeqNo>> futures = new ArrayList<>();
            for (Decision<byte[]> x : d) {
                futures.add(log.storeDecisionAsync(x));
            }
            if (policy == SyncPolicy.none()) {
                for (int i = 0; i < futures.size(); i++) {
                    assertFalse(futures.get(i).isDone(), m(G1, "sync policy none: the future of decision " + i
                            + " completed before any sync (acknowledged but not durable)"));
                }
                log.sync();
                for (int i = 0; i < futures.size(); i++) {
                    assertTrue(futures.get(i).isDone(), m(G1, "sync policy none: sync() must complete the future of decision " + i));
                }
            }
            for (int i = 0; i < futures.size(); i++) {
                SeqNo got = await(futures.get(i), G1, "the future of storeDecisionAsync(" + i + ") under " + policy);
                assertEquals(SeqNo.of(i), got, m(G1, "the future of storeDecisionAsync must complete with the decision's seq, under " + policy));
            }
            assertAllDecisions(log, d, G2, "after storeDecisionAsync under " + policy);
        }
    }

    @Test
    public void g2_retrieveDecisionsAfterAndForEachAreAscendingAndComplete() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        assertEquals(List.of(), log.retrieveDecisionsAfter(SeqNo.ZERO), m(G2, "retrieveDecisionsAfter(0) of an empty log"));
        int n = spanningSegments(4);
        List<Decision<byte[]>> all = decisions(10, n, FIRST);
        storeAll(log, G2, all);
        long last = 10 + n - 1;
        for (long after : new long[] {0, 9, 10, 11, 10 + n / 2, last - 1, last, last + 1, Long.MAX_VALUE}) {
            List<Decision<byte[]>> want = all.stream().filter(x -> x.seqNo().value() > after).toList();
            assertSameDecisions(want, log.retrieveDecisionsAfter(SeqNo.of(after)), G2, "retrieveDecisionsAfter(" + after + ")");
            List<Decision<byte[]>> seen = new ArrayList<>();
            log.forEachDecisionAfter(SeqNo.of(after), seen::add);
            assertSameDecisions(want, seen, G2, "forEachDecisionAfter(" + after + ")");
        }
        IllegalStateException stop = new IllegalStateException("tck: the action stops the iteration (injected by the test kit)");
        List<Long> seen = new ArrayList<>();
        RuntimeException e = assertThrows(RuntimeException.class, () -> log.forEachDecisionAfter(SeqNo.of(10), x -> {
            seen.add(x.seqNo().value());
            if (x.seqNo().value() == 13) {
                throw stop;
            }
        }), m(G2, "an exception thrown by the action must propagate from forEachDecisionAfter"));
        assertSame(stop, e, m(G2, "forEachDecisionAfter must propagate the action's exception unchanged"));
        assertEquals(List.of(11L, 12L, 13L), seen, m(G2, "forEachDecisionAfter must stop at the action's exception"));
    }

    @Test
    public void g2_firstAndLastSeqNoFollowTheStoredRange() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        assertEquals(Optional.empty(), log.firstSeqNo(), m(G2, "firstSeqNo() of an empty log"));
        assertEquals(Optional.empty(), log.lastSeqNo(), m(G2, "lastSeqNo() of an empty log"));
        storeAll(log, G2, decisions(5, 50, FIRST));
        assertEquals(Optional.of(SeqNo.of(5)), log.firstSeqNo(), m(G2, "firstSeqNo() after storing 5..54"));
        assertEquals(Optional.of(SeqNo.of(54)), log.lastSeqNo(), m(G2, "lastSeqNo() after storing 5..54"));
        log.storeCheckpoint(SeqNo.of(20), "state-20");
        log.compactLogUpTo(SeqNo.of(12));
        assertEquals(Optional.of(SeqNo.of(13)), log.firstSeqNo(), m(G2, "firstSeqNo() after compactLogUpTo(12)"));
        log.truncateFrom(SeqNo.of(40));
        assertEquals(Optional.of(SeqNo.of(39)), log.lastSeqNo(), m(G2, "lastSeqNo() after truncateFrom(40)"));
    }

    /**
     * A compaction that runs while {@code forEachDecisionAfter} is half-way through its range: the
     * iteration must still give one contiguous range up to the last decision stored before it started
     * (the API promises a consistent range as of its start). The action waits a little for the
     * compaction; an engine that makes compaction wait for running iterations passes too.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    public void g2_forEachDecisionAfterHasNoHolesWhileCompacting() throws Exception {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        int n = Math.max(spanningSegments(8), 1000);
        storeAll(log, G2, decisions(0, n, FIRST));
        log.storeCheckpoint(SeqNo.of(n - 100L), "state");
        long from = n / 10;
        long pause = n / 3;
        long compactTo = 2L * n / 3;
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch compacted = new CountDownLatch(1);
        ExecutorService compactor = daemonThreads(1, "compactor");
        List<Long> seen = new ArrayList<>();
        try {
            Future<?> compaction = compactor.submit(() -> {
                reached.await();
                log.compactLogUpTo(SeqNo.of(compactTo));
                compacted.countDown();
                return null;
            });
            iterateWhile(log, from, "compactLogUpTo(" + compactTo + ") ran", d -> {
                seen.add(d.seqNo().value());
                if (d.seqNo().value() == pause) {
                    reached.countDown();
                    try {
                        // bounded: an engine may hold compaction back until the iteration ends
                        compacted.await(2, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("tck: interrupted while waiting for the compaction", e);
                    }
                }
            });
            reached.countDown();
            awaitTask(compaction);
        } finally {
            compactor.shutdownNow();
        }
        for (int i = 0; i < seen.size(); i++) {
            if (seen.get(i) != from + 1 + i) {
                fail(m(G2, "forEachDecisionAfter(" + from + ") gave decision " + seen.get(i) + " where " + (from + 1 + i)
                        + " was expected, while compactLogUpTo(" + compactTo + ") ran: not a consistent range as of its start"));
            }
        }
        assertEquals(n - 1 - from, seen.size(), m(G2, "forEachDecisionAfter(" + from + ") must give every decision up to "
                + (n - 1) + " stored before it started, while compactLogUpTo(" + compactTo + ") ran"));
        assertEquals(Optional.of(SeqNo.of(compactTo + 1)), log.firstSeqNo(), m(G2, "firstSeqNo() after the compaction"));
    }

    /**
     * forEachDecisionAfter while other threads write; a storage failure it reports (such as a false
     * {@code CorruptLogException} for a decision compacted meanwhile) fails G2: nothing is corrupt.
     */
    private void iterateWhile(PersistentLog<byte[], String, String> log, long from, String meanwhile,
                              Consumer<Decision<byte[]>> action) {
        try {
            log.forEachDecisionAfter(SeqNo.of(from), action);
        } catch (PersistentLogException e) {
            throw new AssertionError(m(G2, "forEachDecisionAfter(" + from + ") failed while " + meanwhile
                    + ", though nothing is corrupt: " + e), e);
        }
    }

    /**
     * One writer stores decisions and now and then a checkpoint followed by a compaction; two readers
     * check that they see every decision whose store returned (unless compacted), with the stored
     * content, and that {@code forEachDecisionAfter} gives a contiguous range as of its start.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    public void g2_readersSeeContiguousDecisionsWhileWriterStoresAndCompacts() throws Exception {
        PersistentLog<byte[], String, String> log = open(config(newDir()).syncPolicy(SyncPolicy.periodic(Duration.ofMillis(2))).build());
        int total = Math.max(spanningSegments(6), 800);
        AtomicLong published = new AtomicLong(-1);
        AtomicLong compactedUpTo = new AtomicLong(-1);
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = daemonThreads(3, "readers");
        try {
            Future<?> writer = pool.submit(() -> {
                try {
                    SplittableRandom r = new SplittableRandom(total);
                    int next = 0;
                    int nextCompaction = 300;
                    while (next < total) {
                        int n = Math.min(1 + r.nextInt(12), total - next);
                        if (n == 1) {
                            store(log, G2, decision(next, FIRST));
                        } else {
                            storeAll(log, G2, decisions(next, n, FIRST));
                        }
                        next += n;
                        published.set(next - 1);
                        if (next >= nextCompaction) {
                            log.storeCheckpoint(SeqNo.of(next - 1), "state-" + (next - 1));
                            compactedUpTo.set(next - 150);
                            log.compactLogUpTo(SeqNo.of(next - 150));
                            nextCompaction += 250;
                        }
                    }
                } finally {
                    done.set(true);
                }
                return null;
            });
            List<Future<?>> readers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int reader = i;
                readers.add(pool.submit(() -> {
                    readWhileStoring(log, published, compactedUpTo, done, reader);
                    return null;
                }));
            }
            awaitTask(writer);
            for (Future<?> f : readers) {
                awaitTask(f);
            }
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertAllDecisions(log, decisions(compactedUpTo.get() + 1, (int) (total - compactedUpTo.get() - 1), FIRST), G2,
                "after the concurrent run");
    }

    private void readWhileStoring(PersistentLog<byte[], String, String> log, AtomicLong published, AtomicLong compactedUpTo,
                                  AtomicBoolean done, int reader) {
        SplittableRandom r = new SplittableRandom(reader);
        String who = "reader " + reader + ": ";
        do {
            long returned = published.get();
            long last = log.lastSeqNo().map(SeqNo::value).orElse(-1L);
            assertTrue(last >= returned, m(G2, who + "lastSeqNo() = " + last
                    + " must include the store that returned before the read started (seq " + returned + ")"));
            if (returned < 0) {
                continue;
            }
            long seq = Math.max(0, returned - r.nextLong(300));
            Optional<Decision<byte[]>> got = log.retrieveDecision(SeqNo.of(seq));
            if (got.isPresent()) {
                assertEquals(decision(seq, FIRST), got.get(), m(G2, who + "retrieveDecision(" + seq + ")"));
            } else {
                assertTrue(seq <= compactedUpTo.get(), m(G2, who + "retrieveDecision(" + seq + ") is empty, but its store "
                        + "returned and the log was compacted only up to " + compactedUpTo.get()));
            }
            long from = Math.max(0, returned - r.nextLong(400));
            long[] expect = {-1};
            iterateWhile(log, from, "the writer stored and compacted", d -> {
                long s = d.seqNo().value();
                if (expect[0] < 0) {
                    if (s <= from || (s > from + 1 && s - 1 > compactedUpTo.get())) {
                        fail(m(G2, who + "forEachDecisionAfter(" + from + ") started at " + s + " (compacted up to "
                                + compactedUpTo.get() + ")"));
                    }
                } else if (s != expect[0]) {
                    fail(m(G2, who + "forEachDecisionAfter(" + from + ") gave decision " + s + " where " + expect[0]
                            + " was expected: not a consistent range as of its start"));
                }
                if (!d.equals(decision(s, FIRST))) {
                    fail(m(G2, who + "forEachDecisionAfter(" + from + ") gave other content for decision " + s));
                }
                expect[0] = s + 1;
            });
            long compacted = compactedUpTo.get();
            if (Math.max(from, compacted) < returned) {
                assertTrue(expect[0] - 1 >= returned, m(G2, who + "forEachDecisionAfter(" + from + ") stopped at "
                        + (expect[0] < 0 ? "nothing" : Long.toString(expect[0] - 1)) + ", before " + returned
                        + " whose store had returned (lastSeqNo() was " + last + ", compacted up to " + compacted + ")"));
            }
        } while (!done.get());
    }

    // ---------------------------------------------------------------------------------------------
    // checkpoints, configuration, metadata (G5)

    @Test
    public void g5_checkpointsStoreRetrieveAndLast() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).checkpointsRetain(10).build());
        assertEquals(Optional.empty(), log.retrieveLastCheckpoint(), m(G5, "retrieveLastCheckpoint() of a new log"));
        assertEquals(Optional.empty(), log.retrieveCheckpoint(SeqNo.ZERO), m(G5, "retrieveCheckpoint(0) of a new log"));
        storeAll(log, G5, decisions(0, 100, FIRST));
        log.storeCheckpoint(SeqNo.of(10), "state-10");
        log.storeCheckpoint(SeqNo.of(20), "state-20");
        log.storeCheckpoint(SeqNo.of(30), "state-30");
        assertEquals(Optional.of("state-20"), log.retrieveCheckpoint(SeqNo.of(20)), m(G5, "retrieveCheckpoint(20)"));
        assertEquals(Optional.empty(), log.retrieveCheckpoint(SeqNo.of(21)), m(G5, "retrieveCheckpoint(21) reads the exact seq only"));
        assertEquals(Optional.of(new Checkpoint<>(SeqNo.of(30), "state-30")), log.retrieveLastCheckpoint(),
                m(G5, "retrieveLastCheckpoint() is the one with the highest seq"));
        log.storeCheckpoint(SeqNo.of(30), "state-30b");
        assertEquals(Optional.of("state-30b"), log.retrieveCheckpoint(SeqNo.of(30)), m(G5, "a checkpoint replaced at the same seq"));
        String big = "x".repeat(1 << 20);
        log.storeCheckpoint(SeqNo.of(99), big);
        assertEquals(Optional.of(big), log.retrieveCheckpoint(SeqNo.of(99)), m(G5, "a checkpoint state of 1 MiB"));
        log.close();
        PersistentLog<byte[], String, String> again = open(config(dir).checkpointsRetain(10).build());
        assertEquals(Optional.of(new Checkpoint<>(SeqNo.of(99), big)), again.retrieveLastCheckpoint(), m(G5, "the last checkpoint after reopen"));
        assertEquals(Optional.of("state-10"), again.retrieveCheckpoint(SeqNo.of(10)), m(G5, "checkpoint 10 after reopen"));
        assertEquals(Optional.of("state-30b"), again.retrieveCheckpoint(SeqNo.of(30)), m(G5, "replaced checkpoint 30 after reopen"));
    }

    @ParameterizedTest(name = "checkpointsRetain={0}")
    @ValueSource(ints = {1, 2, 3})
    public void g5_checkpointRetentionKeepsTheNewest(int retain) {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).checkpointsRetain(retain).build());
        storeAll(log, G5, decisions(0, 60, FIRST));
        for (int cp = 10; cp <= 50; cp += 10) {
            log.storeCheckpoint(SeqNo.of(cp), "state-" + cp);
        }
        assertRetained(log, retain, "after 5 checkpoints with checkpointsRetain=" + retain);
        log.close();
        assertRetained(open(config(dir).checkpointsRetain(retain).build()), retain,
                "after 5 checkpoints with checkpointsRetain=" + retain + " and reopen");
    }

    private void assertRetained(PersistentLog<byte[], String, String> log, int retain, String when) {
        for (int cp = 10; cp <= 50; cp += 10) {
            boolean kept = cp > 50 - 10 * retain;
            assertEquals(kept ? Optional.of("state-" + cp) : Optional.empty(), log.retrieveCheckpoint(SeqNo.of(cp)),
                    m(G5, when + ": checkpoint " + cp + (kept ? " must be kept" : " must be deleted")));
        }
        assertEquals(Optional.of(new Checkpoint<>(SeqNo.of(50), "state-50")), log.retrieveLastCheckpoint(),
                m(G5, when + ": retrieveLastCheckpoint()"));
    }

    @Test
    public void g5_configurationIsReplacedAndSurvivesReopen() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        assertEquals(Optional.empty(), log.retrieveConfiguration(), m(G5, "retrieveConfiguration() of a new log"));
        log.storeConfiguration("replicas=a,b,c");
        assertEquals(Optional.of("replicas=a,b,c"), log.retrieveConfiguration(), m(G5, "retrieveConfiguration()"));
        log.storeConfiguration("replicas=a,b,c,d");
        assertEquals(Optional.of("replicas=a,b,c,d"), log.retrieveConfiguration(), m(G5, "a replaced configuration"));
        log.close();
        PersistentLog<byte[], String, String> again = open(config(dir).build());
        assertEquals(Optional.of("replicas=a,b,c,d"), again.retrieveConfiguration(), m(G5, "the configuration after reopen"));
        String big = "c".repeat(100_000);
        again.storeConfiguration(big);
        again.close();
        assertEquals(Optional.of(big), open(config(dir).build()).retrieveConfiguration(), m(G5, "a configuration of 100000 chars after reopen"));
    }

    @Test
    public void g5_metadataIsReplacedAndSurvivesReopen() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        assertTrue(log.retrieveMetadata("view").isEmpty(), m(G5, "retrieveMetadata of an absent key"));
        String allChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
        List<String> keys = List.of("view", "vote", allChars, "x".repeat(128), ".", "..", "a", "A");
        for (int i = 0; i < keys.size(); i++) {
            log.storeMetadata(keys.get(i), Kit.bytes(21, i, i * 3));
        }
        log.storeMetadata("view", new byte[] {9});
        byte[] big = Kit.bytes(22, 0, 1 << 20);
        log.storeMetadata("big", big);
        log.storeMetadata("empty", new byte[0]);
        assertMetadata(log, keys, big, "");
        log.close();
        assertMetadata(open(config(dir).build()), keys, big, " after reopen");
    }

    private void assertMetadata(PersistentLog<byte[], String, String> l, List<String> keys, byte[] big, String when) {
        assertArrayEquals(new byte[] {9}, l.retrieveMetadata("view").orElse(null), m(G5, "replaced metadata 'view'" + when));
        for (int i = 1; i < keys.size(); i++) {
            assertArrayEquals(Kit.bytes(21, i, i * 3), l.retrieveMetadata(keys.get(i)).orElse(null),
                    m(G5, "metadata '" + keys.get(i) + "'" + when));
        }
        assertArrayEquals(big, l.retrieveMetadata("big").orElse(null), m(G5, "a metadata value of 1 MiB" + when));
        assertArrayEquals(new byte[0], l.retrieveMetadata("empty").orElse(null), m(G5, "an empty metadata value" + when));
    }

    // ---------------------------------------------------------------------------------------------
    // compaction and truncation (G6, G2)

    @Test
    public void g6_compactLogUpToDropsDecisions() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        int n = spanningSegments(6);
        List<Decision<byte[]>> all = decisions(0, n, FIRST);
        storeAll(log, G6, all);
        long cp = n / 2;
        log.storeCheckpoint(SeqNo.of(cp), "state");
        log.compactLogUpTo(SeqNo.of(cp / 2));
        assertAllDecisions(log, all.subList((int) cp / 2 + 1, n), G6, "after compactLogUpTo(" + cp / 2 + ")");
        assertTrue(log.retrieveDecision(SeqNo.of(cp / 2)).isEmpty(), m(G6, "retrieveDecision(" + cp / 2 + ") after compacting it"));
        log.compactLogUpTo(SeqNo.of(1));
        assertAllDecisions(log, all.subList((int) cp / 2 + 1, n), G6, "after compactLogUpTo below the first decision (a no-op)");
        log.compactLogUpTo(SeqNo.of(cp));
        assertAllDecisions(log, all.subList((int) cp + 1, n), G6, "after compactLogUpTo(" + cp + ") at the checkpoint");
        log.close();
        PersistentLog<byte[], String, String> again = open(config(dir).build());
        assertAllDecisions(again, all.subList((int) cp + 1, n), G6, "after compaction and reopen");
        storeAll(again, G6, decisions(n, 5, FIRST));
        assertEquals(Optional.of(SeqNo.of(n + 4L)), again.lastSeqNo(), m(G6, "storing after compaction and reopen"));
    }

    @Test
    public void g6_compactionAboveLastCheckpointIsRefused() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        List<Decision<byte[]>> all = decisions(0, 50, FIRST);
        storeAll(log, G6, all);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.compactLogUpTo(SeqNo.of(10)),
                m(G6, "compactLogUpTo(10) with no checkpoint must be refused: nothing could rebuild the state"));
        assertMessage(e, G6, "compaction without a checkpoint");
        log.storeCheckpoint(SeqNo.of(20), "state-20");
        e = assertThrows(IllegalArgumentException.class, () -> log.compactLogUpTo(SeqNo.of(21)),
                m(G6, "compactLogUpTo(21) above the last checkpoint 20 must be refused"));
        assertMessage(e, G6, "compaction above the last checkpoint");
        assertThrows(IllegalArgumentException.class, () -> log.compactLogUpTo(SeqNo.of(49)),
                m(G6, "compactLogUpTo(49) above the last checkpoint 20 must be refused"));
        assertAllDecisions(log, all, G6, "after refused compactions");
        log.compactLogUpTo(SeqNo.of(20));
        assertEquals(Optional.of(SeqNo.of(21)), log.firstSeqNo(), m(G6, "firstSeqNo() after compactLogUpTo(20) at the checkpoint"));
    }

    @ParameterizedTest(name = "compactionRetain={0}")
    @ValueSource(ints = {0, 5})
    public void g6_onCheckpointCompactionKeepsRetainedDecisions(int retain) {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).compaction(CompactionMode.ON_CHECKPOINT)
                .compactionRetain(retain).build());
        int n = spanningSegments(4);
        List<Decision<byte[]>> all = decisions(0, n, FIRST);
        storeAll(log, G6, all);
        long cp = n / 2;
        log.storeCheckpoint(SeqNo.of(cp), "state");
        long first = cp - retain + 1;
        assertAllDecisions(log, all.subList((int) first, n), G6, "after storeCheckpoint(" + cp + ") with on-checkpoint compaction, retain " + retain);
        log.close();
        assertAllDecisions(open(config(dir).build()), all.subList((int) first, n), G6, "after on-checkpoint compaction and reopen");
    }

    @Test
    public void g2_truncateFromDropsTheSuffix() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        int n = spanningSegments(5);
        List<Decision<byte[]>> all = decisions(0, n, FIRST);
        storeAll(log, G2, all);
        log.truncateFrom(SeqNo.of(n + 10L));
        assertAllDecisions(log, all, G2, "after truncateFrom above the last decision (a no-op)");
        long cut = n / 2;
        log.truncateFrom(SeqNo.of(cut));
        assertAllDecisions(log, all.subList(0, (int) cut), G2, "after truncateFrom(" + cut + ")");
        IllegalArgumentException gap = assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(cut + 1, SECOND)),
                m(G2, "storeDecision(" + (cut + 1) + ") after truncateFrom(" + cut + ") must be refused: the next is " + cut));
        assertMessage(gap, G2, "a gap after truncateFrom");
        List<Decision<byte[]>> again = decisions(cut, 20, SECOND);
        storeAll(log, G2, again);
        List<Decision<byte[]>> expected = new ArrayList<>(all.subList(0, (int) cut));
        expected.addAll(again);
        assertAllDecisions(log, expected, G2, "after storing new decisions from the cut (new bytes, not the old ones)");
        log.storeCheckpoint(SeqNo.of(cut + 5), "state");
        assertThrows(IllegalArgumentException.class, () -> log.truncateFrom(SeqNo.of(cut + 5)),
                m(G2, "truncateFrom(" + (cut + 5) + ") at the last checkpoint must be refused"));
        assertThrows(IllegalArgumentException.class, () -> log.truncateFrom(SeqNo.of(cut)),
                m(G2, "truncateFrom(" + cut + ") below the last checkpoint must be refused"));
        log.truncateFrom(SeqNo.of(cut + 6));
        log.close();
        assertAllDecisions(open(config(dir).build()), expected.subList(0, (int) cut + 6), G2, "after truncateFrom and reopen");
    }

    // ---------------------------------------------------------------------------------------------
    // recovery and reopen (G2)

    @Test
    public void g2_recoverReturnsLastCheckpointAndDecisionsAfterIt() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        RecoveryState<byte[], String, String> empty = log.recover();
        assertEquals(new RecoveryState<byte[], String, String>(Optional.empty(), List.of(), Optional.empty()), empty,
                m(G2, "recover() of a new log"));
        List<Decision<byte[]>> all = decisions(0, 80, FIRST);
        storeAll(log, G2, all);
        log.storeConfiguration("conf-1");
        RecoveryState<byte[], String, String> noCheckpoint = log.recover();
        assertEquals(Optional.empty(), noCheckpoint.checkpoint(), m(G2, "recover() without a checkpoint"));
        assertSameDecisions(all, noCheckpoint.decisionsAfterCheckpoint(), G2, "recover() without a checkpoint: every decision");
        assertEquals(Optional.of("conf-1"), noCheckpoint.configuration(), m(G2, "recover(): the configuration"));
        log.storeCheckpoint(SeqNo.of(30), "state-30");
        log.storeCheckpoint(SeqNo.of(50), "state-50");
        RecoveryState<byte[], String, String> r1 = log.recover();
        RecoveryState<byte[], String, String> r2 = log.recover();
        assertEquals(Optional.of(new Checkpoint<>(SeqNo.of(50), "state-50")), r1.checkpoint(), m(G2, "recover(): the last checkpoint"));
        assertSameDecisions(all.subList(51, 80), r1.decisionsAfterCheckpoint(), G2, "recover(): decisions after checkpoint 50");
        assertEquals(r1, r2, m(G2, "recover() called twice must give equal states (idempotent)"));
        log.close();
        PersistentLog<byte[], String, String> again = open(config(dir).build());
        assertEquals(r1, again.recover(), m(G2, "recover() after reopen"));
        assertEquals(r1, again.recover(), m(G2, "recover() twice after reopen"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"every-write", "periodic:5ms", "none"})
    public void g2_reopenAfterCloseKeepsEverything(String policy) {
        SyncPolicy sync = switch (policy) {
            case "every-write" -> SyncPolicy.everyWrite();
            case "none" -> SyncPolicy.none();
            default -> SyncPolicy.periodic(Duration.ofMillis(5));
        };
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).syncPolicy(sync).build());
        int n = spanningSegments(3);
        List<Decision<byte[]>> all = decisions(0, n, FIRST);
        storeAll(log, G2, all.subList(0, n / 2));
        for (int i = n / 2; i < n - 5; i++) {
            store(log, G2, all.get(i));
        }
        List<CompletableFuture<SeqNo>> futures = new ArrayList<>();
        for (int i = n - 5; i < n; i++) {
            futures.add(log.storeDecisionAsync(all.get(i)));
        }
        log.storeCheckpoint(SeqNo.of(n / 3), "state");
        log.storeConfiguration("conf");
        log.storeMetadata("view", new byte[] {4});
        if (sync == SyncPolicy.none()) {
            log.sync();
        }
        RecoveryState<byte[], String, String> before = log.recover();
        log.close();
        for (CompletableFuture<SeqNo> f : futures) {
            assertTrue(f.isDone() && !f.isCompletedExceptionally(), m(G1, "close() must complete pending futures, under " + policy));
        }
        PersistentLog<byte[], String, String> again = open(config(dir).syncPolicy(sync).build());
        assertAllDecisions(again, all, G2, "after close and reopen under " + policy);
        assertEquals(before, again.recover(), m(G2, "recover() after close and reopen under " + policy));
        assertArrayEquals(new byte[] {4}, again.retrieveMetadata("view").orElse(null), m(G2, "metadata after reopen under " + policy));
        storeAll(again, G2, decisions(n, 3, FIRST));
        again.close();
        PersistentLog<byte[], String, String> third = open(config(dir).syncPolicy(sync).build());
        assertEquals(Optional.of(SeqNo.of(n + 2L)), third.lastSeqNo(), m(G2, "lastSeqNo() after a second reopen under " + policy));
    }

    /**
     * A thread whose interrupt status is set (a cancelled task, a timed-out wait) is served like any
     * other and keeps its status; and readers that are interrupted again and again while a writer stores
     * do not stop the log. A {@link java.nio.channels.FileChannel} closes itself for every thread when an
     * interrupted thread uses it, so a backend on channels must set the status aside.
     */
    @Test
    public void api_interruptedCallersAreServedAndDoNotStopTheLog() throws Exception {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        List<Decision<byte[]>> stored = new ArrayList<>(decisions(0, 10, FIRST));
        storeAll(log, API, stored);
        try {
            Thread.currentThread().interrupt();
            Decision<byte[]> d = decision(10, FIRST);
            store(log, API, d);
            stored.add(d);
            assertTrue(Thread.currentThread().isInterrupted(), m(API, "storeDecision must keep the caller's interrupt status"));
            assertArrayEquals(stored.get(3).payload(), log.retrieveDecision(SeqNo.of(3)).orElseThrow().payload(),
                    m(API, "retrieveDecision by an interrupted thread"));
            log.storeMetadata("view", new byte[] {7});
            log.sync();
            assertTrue(Thread.interrupted(), m(API, "storeMetadata and sync must keep the caller's interrupt status"));
        } finally {
            Thread.interrupted();
        }
        AtomicBoolean stop = new AtomicBoolean();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        log.retrieveDecision(SeqNo.of(1));
                        log.retrieveDecision(SeqNo.of(5));
                        log.retrieveDecisionsAfter(SeqNo.of(7));
                    } catch (RuntimeException | Error e) {
                        failures.add(e + (e.getCause() == null ? "" : ", caused by " + e.getCause()));
                        return;
                    }
                }
            }, "tck-" + provider().name() + "-interrupted-reader");
            t.setDaemon(true);
            t.start();
            readers.add(t);
        }
        try {
            for (long seq = 11; seq < 211; seq++) {
                for (Thread t : readers) {
                    t.interrupt();
                }
                Decision<byte[]> d = decision(seq, FIRST);
                store(log, API, d);
                stored.add(d);
            }
        } finally {
            stop.set(true);
            for (Thread t : readers) {
                t.join(30_000);
            }
        }
        assertEquals(List.of(), failures, m(API, "readers whose threads were interrupted while a writer stored"));
        assertAllDecisions(log, stored, API, "after storing while readers were interrupted");
        log.close();
        assertAllDecisions(open(config(dir).build()), stored, API, "after interrupted callers, close and reopen");
    }

    @Test
    public void api_statsCountersMove() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).cacheSize(64).build());
        LogStats s0 = log.stats();
        assertNotNull(s0, m(API, "stats() of a new log"));
        assertEquals(0, s0.decisionsStored(), m(API, "stats().decisionsStored() of a new log"));
        for (int i = 0; i < 10; i++) {
            store(log, API, decision(i, FIRST));
        }
        storeAll(log, API, decisions(10, 5, FIRST));
        LogStats s1 = log.stats();
        assertEquals(15, s1.decisionsStored(), m(API, "stats().decisionsStored() after 15 decisions"));
        assertTrue(s1.bytesWritten() > s0.bytesWritten(), m(API, "stats().bytesWritten() must grow with stored decisions"));
        assertTrue(s1.syncs() > s0.syncs(), m(API, "stats().syncs() must grow under every-write"));
        assertTrue(s1.maxBatchPerSync() >= 1 && s1.meanBatchPerSync() > 0, m(API, "stats() batch per sync after syncs: " + s1));
        assertTrue(!s1.syncLatencyP50().isNegative() && s1.syncLatencyP99().compareTo(s1.syncLatencyP50()) >= 0
                && s1.syncLatencyMax().compareTo(s1.syncLatencyP99()) >= 0, m(API, "sync latencies must be ordered p50 <= p99 <= max: " + s1));
        log.retrieveDecision(SeqNo.of(3));
        log.retrieveDecision(SeqNo.of(3));
        LogStats s2 = log.stats();
        assertTrue(s2.cacheHits() + s2.cacheMisses() >= s1.cacheHits() + s1.cacheMisses() + 2,
                m(API, "two retrieveDecision calls must count as cache hits or misses: " + s1 + " then " + s2));
        log.storeCheckpoint(SeqNo.of(12), "state");
        log.compactLogUpTo(SeqNo.of(5));
        log.recover();
        LogStats s3 = log.stats();
        assertEquals(1, s3.checkpointsStored(), m(API, "stats().checkpointsStored() after one checkpoint"));
        assertEquals(1, s3.compactions(), m(API, "stats().compactions() after one compaction"));
        assertFalse(s3.lastRecoveryTime().isNegative(), m(API, "stats().lastRecoveryTime() after recover()"));
    }

    @Test
    public void g4_verifyChecksEveryRecord() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        assertEquals(0, log.verify(), m(G4, "verify() of a new log"));
        int n = spanningSegments(3);
        storeAll(log, G4, decisions(0, n, FIRST));
        assertEquals(n, log.verify(), m(G4, "verify() must check every one of " + n + " stored decisions"));
        log.storeCheckpoint(SeqNo.of(10), "state");
        assertEquals(n + 1L, log.verify(), m(G4, "verify() must check " + n + " decisions and 1 checkpoint"));
    }

    // ---------------------------------------------------------------------------------------------
    // compression (G2)

    @ParameterizedTest(name = "{0}")
    @EnumSource(Compression.class)
    public void g2_compressionRoundTrip(Compression compression) {
        String missing = switch (compression) {
            case ZSTD -> classMissing("com.github.luben.zstd.Zstd", "com.github.luben:zstd-jni");
            case XZ -> classMissing("org.tukaani.xz.XZOutputStream", "org.tukaani:xz");
            default -> null;
        };
        assumeTrue(missing == null, () -> "[" + backend + "] " + compression + " compression is optional and " + missing);
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).compression(new CompressionOptions(compression, 64)).build());
        int limit = decisionLimit();
        List<Decision<byte[]>> all = new ArrayList<>();
        all.add(Decision.of(SeqNo.of(0), new byte[0]));
        all.add(Decision.of(SeqNo.of(1), Kit.bytes(31, 1, 63)));
        all.add(Decision.of(SeqNo.of(2), "abcd".repeat(limit / 8).getBytes(StandardCharsets.US_ASCII)));
        all.add(Decision.of(SeqNo.of(3), Kit.bytes(31, 3, limit / 2)));
        all.add(new Decision<>(SeqNo.of(4), 3, new byte[32], new byte[limit / 2], new byte[64]));
        all.addAll(decisions(5, 40, FIRST));
        storeAll(log, G2, all.subList(0, 3));
        for (Decision<byte[]> d : all.subList(3, all.size())) {
            store(log, G2, d);
        }
        log.storeCheckpoint(SeqNo.of(20), "s".repeat(5000));
        assertAllDecisions(log, all, G2, compression + " compressed decisions");
        log.close();
        PersistentLog<byte[], String, String> plain = open(config(dir).build());
        assertAllDecisions(plain, all, G2, compression + " compressed decisions reopened without compression");
        assertEquals(Optional.of("s".repeat(5000)), plain.retrieveCheckpoint(SeqNo.of(20)), m(G2, compression + " checkpoint after reopen"));
        assertEquals(all.size() + 1L, plain.verify(), m(G4, "verify() must check " + all.size() + " " + compression
                + " compressed decisions and 1 checkpoint"));
    }

    private static String classMissing(String className, String artifact) {
        try {
            Class.forName(className, false, PersistentLogTck.class.getClassLoader());
            return null;
        } catch (ClassNotFoundException | LinkageError e) {
            return "needs " + artifact + " on the class path (" + className + " not found)";
        }
    }

    // ---------------------------------------------------------------------------------------------
    // one writer (G7)

    @Test
    public void g7_secondOpenInSameProcessIsRefused() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        storeAll(log, G7, decisions(0, 5, FIRST));
        LogLockedException e = assertThrows(LogLockedException.class, () -> open(config(dir).build()),
                m(G7, "a second open of " + dir + " in the same process must fail"));
        assertMessage(e, G7, "second open");
        assertThrows(LogLockedException.class, () -> open(config(dir.getParent().resolve(".").resolve(dir.getFileName())).build()),
                m(G7, "a second open through another path to the same directory must fail"));
        store(log, G7, decision(5, FIRST));
        assertAllDecisions(log, decisions(0, 6, FIRST), G7, "the first log keeps working after a refused second open");
        log.close();
        PersistentLog<byte[], String, String> again = open(config(dir).build());
        assertAllDecisions(again, decisions(0, 6, FIRST), G7, "open after the first log was closed (the lock is released)");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    public void g7_secondOpenFromAnotherProcessIsRefused() throws Exception {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        storeAll(log, G7, decisions(0, 5, FIRST));
        String locked = runChild("lock", dir);
        assertTrue(locked.startsWith(ChildProbe.EXCEPTION + " " + LogLockedException.class.getName() + " "),
                m(G7, "an open of " + dir + " from another process while this one holds it must fail with "
                        + "LogLockedException; the child reported: " + locked));
        log.close();
        String free = runChild("lock", dir);
        assertTrue(free.startsWith(ChildProbe.OPENED), m(G7, "an open from another process after close must succeed "
                + "(the lock is released); the child reported: " + free));
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    public void g1_anotherProcessReadsWhatWasStored() throws Exception {
        assumeTrue(provider().capabilities().contains(Capability.DURABLE),
                () -> "[" + backend + "] is not DURABLE: another process cannot read what this one stored");
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        int n = spanningSegments(3);
        storeAll(log, G1, decisions(0, n / 2, FIRST));
        for (int i = n / 2; i < n; i++) {
            store(log, G1, decision(i, FIRST));
        }
        String expected = ChildProbe.OPENED + " " + ChildProbe.summary(log);
        log.close();
        assertEquals(expected, runChild("read", dir), m(G1, "another process must read every decision stored and "
                + "acknowledged under every-write (summary: first, last, count, CRC32C)"));
    }

    /** Runs {@link ChildProbe} in a child JVM on {@code dir}; returns its one-line result. */
    private String runChild(String mode, Path dir) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        assumeTrue(Files.isExecutable(java), () -> "[" + backend + "] no java launcher at " + java + " to start a child JVM");
        Path result = Files.createTempFile(scratchDirectory(), "child-", ".result");
        Path output = Files.createTempFile(scratchDirectory(), "child-", ".out");
        StorageProvider p = provider();
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(childJvmFlags());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ChildProbe.class.getName());
        cmd.add(result.toString());
        cmd.add(mode);
        cmd.add(dir.toString());
        cmd.add(p.getClass().getName());
        cmd.add(p.name());
        cmd.add(Long.toString(maxSegmentSize()));
        new TreeMap<>(options()).forEach((k, v) -> cmd.add(k + "=" + v));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            fail(m(G7, "the child JVM did not finish within " + CHILD_TIMEOUT_SECONDS + " s; its output: "
                    + Files.readString(output, StandardCharsets.UTF_8)));
        }
        String line = Files.readString(result, StandardCharsets.UTF_8).trim();
        if (line.isEmpty()) {
            fail(m(G7, "the child JVM exited with status " + child.exitValue() + " without a result; command: " + cmd
                    + "; its output: " + Files.readString(output, StandardCharsets.UTF_8)));
        }
        assumeTrue(!line.startsWith(ChildProbe.NO_PROVIDER), () -> "[" + backend + "] the child JVM cannot create provider "
                + p.getClass().getName() + " (give it a public no-argument constructor or register it with ServiceLoader): " + line);
        return line;
    }

    // ---------------------------------------------------------------------------------------------
    // self-describing directory (G10)

    @Test
    public void g10_manifestNamesBackendAndFormat() throws IOException {
        Path dir = newDir();
        open(config(dir).build()).close();
        Properties manifest = manifest(dir);
        assertEquals(backend, manifest.getProperty("backend"), m(G10, "atlas-log.manifest must name the backend"));
        String format = manifest.getProperty("format", "");
        assertTrue(format.matches("[1-9][0-9]*"), m(G10, "atlas-log.manifest must hold a format version, got '" + format + "'"));
    }

    @Test
    public void g10_otherBackendIsRefused() {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        storeAll(log, G10, decisions(0, 10, FIRST));
        log.close();
        StorageProvider other = otherProvider();
        PersistentLogConfig otherConfig = PersistentLogConfig.builder(dir).backend(other.name()).maxSegmentSize(maxSegmentSize()).build();
        IncompatibleLogException e = assertThrows(IncompatibleLogException.class,
                () -> track(PersistentLogs.open(otherConfig, other, Codec.bytes(), Codec.utf8(), Codec.utf8())),
                m(G10, "opening a '" + backend + "' log with backend '" + other.name() + "' must fail"));
        assertTrue(e.getMessage() != null && e.getMessage().contains(backend) && e.getMessage().contains(other.name()),
                m(G10, "the refusal must name both backends, got: " + e.getMessage()));
        assertAllDecisions(open(config(dir).build()), decisions(0, 10, FIRST), G10,
                "reopen with the right backend after a refused open (lock released, nothing changed)");
    }

    @Test
    public void g10_newerFormatIsRefused() throws IOException {
        Path dir = newDir();
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        storeAll(log, G10, decisions(0, 10, FIRST));
        log.close();
        Path file = dir.resolve("atlas-log.manifest");
        String original = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(original.lines().anyMatch(l -> l.startsWith("format=")), m(G10, "the manifest must hold a format= line: " + original));
        Files.writeString(file, original.replaceAll("(?m)^format=.*$", "format=99"), StandardCharsets.UTF_8);
        IncompatibleLogException e = assertThrows(IncompatibleLogException.class, () -> open(config(dir).build()),
                m(G10, "opening a log whose manifest says format=99 must fail"));
        assertTrue(e.getMessage() != null && e.getMessage().contains("99"), m(G10, "the refusal must name the format 99, got: " + e.getMessage()));
        Files.writeString(file, original, StandardCharsets.UTF_8);
        assertAllDecisions(open(config(dir).build()), decisions(0, 10, FIRST), G10, "reopen after the manifest was restored");
    }

    private Properties manifest(Path dir) throws IOException {
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(dir.resolve("atlas-log.manifest"), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    /** {@code memory}, or when the backend under test is memory, memory under another name. */
    private StorageProvider otherProvider() {
        StorageProvider memory = Kit.modelProvider();
        if (!memory.name().equals(backend)) {
            return memory;
        }
        return new StorageProvider() {
            @Override
            public String name() {
                return "tck-other-backend";
            }

            @Override
            public Set<Capability> capabilities() {
                return EnumSet.noneOf(Capability.class);
            }

            @Override
            public LogStorage open(StorageConfig config) throws IOException {
                return memory.open(config);
            }
        };
    }

    @Test
    public void g11_filesAreOwnerOnly() throws IOException {
        Path dir = newDir();
        assumeTrue(Kit.posix(dir.getParent()), () -> "[" + backend + "] the scratch file system has no POSIX permissions to check");
        PersistentLog<byte[], String, String> log = open(config(dir).checkpointsRetain(1).build());
        storeAll(log, G11, decisions(0, spanningSegments(3), FIRST));
        log.storeCheckpoint(SeqNo.of(10), "state-10");
        log.storeCheckpoint(SeqNo.of(20), "state-20");
        log.compactLogUpTo(SeqNo.of(15));
        log.storeConfiguration("conf");
        log.storeMetadata("view", new byte[] {1});
        log.close();
        assertEquals(List.of(), Kit.notOwnerOnly(dir, true), m(G11, "files in the log directory must be created rw------- "
                + "and directories rwx------; these are open to group or others"));
    }

    // ---------------------------------------------------------------------------------------------
    // bad input (G9)

    @Test
    public void g9_nullsAreRefused() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        storeAll(log, G9, decisions(0, 3, FIRST));
        log.storeCheckpoint(SeqNo.of(1), "state");
        Decision<byte[]> next = decision(3, FIRST);
        Map<String, Executable> calls = new TreeMap<>();
        calls.put("storeDecision(null)", () -> log.storeDecision(null));
        calls.put("storeDecisionAsync(null)", () -> log.storeDecisionAsync(null));
        calls.put("storeDecisions(null)", () -> log.storeDecisions(null));
        calls.put("storeDecisions([d, null])", () -> log.storeDecisions(Arrays.asList(next, null)));
        calls.put("retrieveDecision(null)", () -> log.retrieveDecision(null));
        calls.put("retrieveDecisionsAfter(null)", () -> log.retrieveDecisionsAfter(null));
        calls.put("forEachDecisionAfter(null, action)", () -> log.forEachDecisionAfter(null, d -> { }));
        calls.put("forEachDecisionAfter(seq, null)", () -> log.forEachDecisionAfter(SeqNo.ZERO, null));
        calls.put("storeCheckpoint(null, state)", () -> log.storeCheckpoint(null, "s"));
        calls.put("storeCheckpoint(seq, null)", () -> log.storeCheckpoint(SeqNo.of(2), null));
        calls.put("retrieveCheckpoint(null)", () -> log.retrieveCheckpoint(null));
        calls.put("storeConfiguration(null)", () -> log.storeConfiguration(null));
        calls.put("storeMetadata(null, value)", () -> log.storeMetadata(null, new byte[1]));
        calls.put("storeMetadata(key, null)", () -> log.storeMetadata("k", null));
        calls.put("retrieveMetadata(null)", () -> log.retrieveMetadata(null));
        calls.put("compactLogUpTo(null)", () -> log.compactLogUpTo(null));
        calls.put("truncateFrom(null)", () -> log.truncateFrom(null));
        calls.put("PersistentLogs.open(null config)", () -> track(PersistentLogs.open(null, provider(), Codec.bytes(), Codec.utf8(), Codec.utf8())));
        calls.put("PersistentLogs.open(null provider)", () -> track(PersistentLogs.open(config(newDir()).build(), null, Codec.bytes(), Codec.utf8(), Codec.utf8())));
        calls.put("PersistentLogs.open(null codec)", () -> track(PersistentLogs.open(config(newDir()).build(), provider(), null, Codec.utf8(), Codec.utf8())));
        calls.forEach((call, c) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c, m(G9, call + " must be refused"));
            assertMessage(e, G9, call);
        });
        assertAllDecisions(log, decisions(0, 3, FIRST), G9, "after refused calls with nulls");
        assertEquals(Optional.of(new Checkpoint<>(SeqNo.of(1), "state")), log.retrieveLastCheckpoint(),
                m(G9, "the checkpoint after refused calls with nulls"));
    }

    @Test
    public void g9_negativeSeqNoIsRefused() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SeqNo.of(-1), m(G9, "SeqNo.of(-1)")), G9, "SeqNo.of(-1)");
        assertThrows(IllegalArgumentException.class, () -> new SeqNo(Long.MIN_VALUE), m(G9, "new SeqNo(MIN_VALUE)"));
        assertThrows(IllegalArgumentException.class, () -> new Decision<>(SeqNo.ZERO, -1, new byte[0], new byte[0], new byte[0]),
                m(G9, "a decision with view -1"));
    }

    @Test
    public void g9_nonContiguousDecisionIsRefused() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        List<Decision<byte[]>> all = decisions(0, 10, FIRST);
        storeAll(log, G9, all);
        for (long wrong : new long[] {11, 12, 9, 0}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(wrong, SECOND)),
                    m(G9, "storeDecision(" + wrong + ") after 9 must be refused"));
            assertTrue(e.getMessage() != null && e.getMessage().contains("10"),
                    m(G9, "the refusal of seq " + wrong + " must say that 10 was expected, got: " + e.getMessage()));
            assertThrows(IllegalArgumentException.class, () -> log.storeDecisionAsync(decision(wrong, SECOND)),
                    m(G9, "storeDecisionAsync(" + wrong + ") after 9 must throw at once, not through the future"));
        }
        List<Decision<byte[]>> gap = List.of(decision(10, SECOND), decision(11, SECOND), decision(13, SECOND));
        assertThrows(IllegalArgumentException.class, () -> log.storeDecisions(gap), m(G9, "storeDecisions(10, 11, 13) must be refused"));
        List<Decision<byte[]>> dup = List.of(decision(10, SECOND), decision(10, SECOND));
        assertThrows(IllegalArgumentException.class, () -> log.storeDecisions(dup), m(G9, "storeDecisions(10, 10) must be refused"));
        assertAllDecisions(log, all, G9, "after refused batches (all or nothing)");
        log.storeCheckpoint(SeqNo.of(9), "state");
        log.compactLogUpTo(SeqNo.of(9));
        assertEquals(Optional.empty(), log.lastSeqNo(), m(G9, "lastSeqNo() of a log compacted to empty"));
        assertThrows(IllegalArgumentException.class, () -> log.storeDecision(decision(5, SECOND)),
                m(G9, "storeDecision(5) at or below the compaction point 9 must be refused"));
        store(log, G9, decision(10, SECOND));
        assertEquals(Optional.of(SeqNo.of(10)), log.lastSeqNo(), m(G9, "storeDecision(10) above the compaction point"));
    }

    @Test
    public void g9_oversizedDecisionIsRefused() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        int limit = decisionLimit();
        store(log, G9, decision(0, FIRST));
        Decision<byte[]> tooBig = Decision.of(SeqNo.of(1), new byte[limit + 1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.storeDecision(tooBig),
                m(G9, "a decision of " + (limit + 1) + " payload bytes above the limit " + limit + " = min(64 MiB, maxSegmentSize - 1024) must be refused"));
        assertTrue(e.getMessage() != null && e.getMessage().contains(Integer.toString(limit)),
                m(G9, "the refusal must name the limit " + limit + ", got: " + e.getMessage()));
        assertThrows(IllegalArgumentException.class, () -> log.storeDecisionAsync(tooBig),
                m(G9, "storeDecisionAsync of an oversized decision must throw at once"));
        assertThrows(IllegalArgumentException.class, () -> log.storeDecisions(List.of(decision(1, FIRST), Decision.of(SeqNo.of(2), new byte[limit + 1]))),
                m(G9, "a batch holding an oversized decision must be refused"));
        assertEquals(Optional.of(SeqNo.ZERO), log.lastSeqNo(), m(G9, "nothing of a refused batch may be stored"));
        Decision<byte[]> fits = Decision.of(SeqNo.of(1), Kit.bytes(41, 1, limit - 256));
        store(log, G9, fits);
        assertEquals(Optional.of(fits), log.retrieveDecision(SeqNo.of(1)), m(G9, "a decision of limit - 256 bytes must be stored"));
    }

    @Test
    public void g9_unknownOptionIsRefusedNamingIt() {
        Path dir = newDir();
        PersistentLogConfig bad = config(dir).option(backend + ".no-such-option", "1").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(bad),
                m(G9, "open with the unknown backend option '" + backend + ".no-such-option' must fail"));
        assertTrue(e.getMessage() != null && e.getMessage().contains("no-such-option"),
                m(G9, "the refusal must name 'no-such-option', got: " + e.getMessage()));
        PersistentLog<byte[], String, String> log = open(config(dir).build());
        store(log, G9, decision(0, FIRST));
        assertEquals(Optional.of(SeqNo.ZERO), log.lastSeqNo(), m(G9, "the log opens after a refused open (lock released)"));
    }

    @Test
    public void g9_badMetadataIsRefused() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        for (String key : List.of("", "x".repeat(129), "a/b", "a b", "ä", "a\u0000b", "../x", "a\\b", "k:v")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.storeMetadata(key, new byte[1]),
                    m(G9, "metadata key '" + key + "' (expected 1-128 chars of [A-Za-z0-9._-]) must be refused"));
            assertMessage(e, G9, "bad metadata key");
        }
        assertThrows(IllegalArgumentException.class, () -> log.storeMetadata("big", new byte[(1 << 20) + 1]),
                m(G9, "a metadata value of 1 MiB + 1 byte must be refused"));
        assertTrue(log.retrieveMetadata("big").isEmpty(), m(G9, "a refused metadata value must not be stored"));
    }

    @Test
    public void g9_closedLogThrowsIllegalState() {
        PersistentLog<byte[], String, String> log = open(config(newDir()).build());
        storeAll(log, G9, decisions(0, 3, FIRST));
        log.storeCheckpoint(SeqNo.of(1), "s");
        log.close();
        log.close();
        Map<String, Executable> calls = new TreeMap<>();
        calls.put("storeDecision", () -> log.storeDecision(decision(3, FIRST)));
        calls.put("storeDecisionAsync", () -> log.storeDecisionAsync(decision(3, FIRST)));
        calls.put("storeDecisions", () -> log.storeDecisions(decisions(3, 2, FIRST)));
        calls.put("retrieveDecision", () -> log.retrieveDecision(SeqNo.ZERO));
        calls.put("retrieveDecisionsAfter", () -> log.retrieveDecisionsAfter(SeqNo.ZERO));
        calls.put("forEachDecisionAfter", () -> log.forEachDecisionAfter(SeqNo.ZERO, d -> { }));
        calls.put("firstSeqNo", log::firstSeqNo);
        calls.put("lastSeqNo", log::lastSeqNo);
        calls.put("storeCheckpoint", () -> log.storeCheckpoint(SeqNo.of(2), "s"));
        calls.put("retrieveCheckpoint", () -> log.retrieveCheckpoint(SeqNo.of(1)));
        calls.put("retrieveLastCheckpoint", log::retrieveLastCheckpoint);
        calls.put("storeConfiguration", () -> log.storeConfiguration("c"));
        calls.put("retrieveConfiguration", log::retrieveConfiguration);
        calls.put("storeMetadata", () -> log.storeMetadata("k", new byte[1]));
        calls.put("retrieveMetadata", () -> log.retrieveMetadata("k"));
        calls.put("compactLogUpTo", () -> log.compactLogUpTo(SeqNo.ZERO));
        calls.put("truncateFrom", () -> log.truncateFrom(SeqNo.of(2)));
        calls.put("recover", log::recover);
        calls.put("sync", log::sync);
        calls.put("verify", log::verify);
        calls.put("stats", log::stats);
        calls.forEach((call, c) -> assertThrows(IllegalStateException.class, c, m(G9, call + " after close must throw IllegalStateException")));
    }

    // ---------------------------------------------------------------------------------------------
    // configuration-driven selection (SPEC section 2)

    @Test
    public void api_backendSelectedByNameFromProperties() {
        assumeTrue(Kit.findProvider(backend) != null, () -> "[" + backend + "] is not registered with ServiceLoader on this "
                + "class path (META-INF/services/io.atlas.log.spi.StorageProvider), so it cannot be selected by name");
        Path dir = newDir();
        Properties p = new Properties();
        p.setProperty("atlas.log.dir", dir.toString());
        p.setProperty("atlas.log.backend", backend);
        p.setProperty("atlas.log.max-segment-size", Long.toString(maxSegmentSize()));
        p.setProperty("atlas.log.sync", "every-write");
        options().forEach((k, v) -> p.setProperty("atlas.log." + backend + "." + k, v));
        PersistentLogConfig config = PersistentLogConfig.fromProperties(p);
        PersistentLog<byte[], String, String> log = track(PersistentLogs.open(config, Codec.bytes(), Codec.utf8(), Codec.utf8()));
        storeAll(log, API, decisions(0, 5, FIRST));
        log.close();
        assertAllDecisions(open(config(dir).build()), decisions(0, 5, FIRST), API,
                "a log opened by name from properties, reopened through provider()");
        Properties unknown = new Properties();
        unknown.setProperty("atlas.log.dir", newDir().toString());
        unknown.setProperty("atlas.log.backend", "no-such-backend");
        BackendNotFoundException e = assertThrows(BackendNotFoundException.class,
                () -> track(PersistentLogs.open(PersistentLogConfig.fromProperties(unknown), Codec.bytes(), Codec.utf8(), Codec.utf8())),
                m(API, "atlas.log.backend=no-such-backend must fail"));
        assertTrue(e.getMessage() != null && e.getMessage().contains("no-such-backend") && e.getMessage().contains(backend),
                m(API, "the refusal must name the unknown backend and list the ones found, among them '" + backend + "'; got: " + e.getMessage()));
    }

    // ---------------------------------------------------------------------------------------------
    // randomized model check

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    public void g2_randomOperationsMatchTheMemoryModel() {
        long seed = Kit.seed(backend, "PersistentLogTck.g2_randomOperationsMatchTheMemoryModel");
        new RandomRun(seed).run(randomIterations());
    }

    /** One seeded random sequence through core over the backend and over {@code memory}, compared after each step. */
    private final class RandomRun {
        private final long seed;
        private final SplittableRandom rnd;
        private final StorageProvider model = Kit.modelProvider();
        private final Path subjectDir = newDir();
        private final Path modelDir = newDir();
        private final PersistentLogConfig subjectConfig;
        private final PersistentLogConfig modelConfig;
        private PersistentLog<byte[], String, String> subject;
        private PersistentLog<byte[], String, String> reference;
        private final List<CompletableFuture<SeqNo>> pending = new ArrayList<>();
        private final Set<Long> checkpointSeqs = new TreeSet<>();
        private long emptyStart;
        private final List<String> metaKeys = List.of("view", "vote", "epoch");
        private final List<String> trace = new ArrayList<>();
        private int accepted;
        private int refused;
        private final String settings;

        RandomRun(long seed) {
            this.seed = seed;
            this.rnd = new SplittableRandom(seed);
            SyncPolicy sync = List.of(SyncPolicy.everyWrite(), SyncPolicy.none(), SyncPolicy.periodic(Duration.ofMillis(3))).get(rnd.nextInt(3));
            Compression compression = List.of(Compression.NONE, Compression.LZ4, Compression.DEFLATE).get(rnd.nextInt(3));
            CompactionMode compaction = rnd.nextBoolean() ? CompactionMode.MANUAL : CompactionMode.ON_CHECKPOINT;
            int cache = rnd.nextBoolean() ? 0 : 32;
            int retain = 1 + rnd.nextInt(3);
            long compactionRetain = rnd.nextInt(3) * 4L;
            this.settings = "sync=" + sync + " compression=" + compression + " compaction=" + compaction
                    + " cache=" + cache + " checkpointsRetain=" + retain + " compactionRetain=" + compactionRetain;
            this.subjectConfig = config(subjectDir).syncPolicy(sync).compression(new CompressionOptions(compression, 128))
                    .compaction(compaction).cacheSize(cache).checkpointsRetain(retain).compactionRetain(compactionRetain).build();
            this.modelConfig = PersistentLogConfig.builder(modelDir).backend(model.name()).maxSegmentSize(maxSegmentSize())
                    .syncPolicy(sync).compression(new CompressionOptions(compression, 128))
                    .compaction(compaction).cacheSize(cache).checkpointsRetain(retain).compactionRetain(compactionRetain).build();
            this.emptyStart = rnd.nextInt(5);
            this.subject = open(subjectConfig);
            this.reference = track(PersistentLogs.open(modelConfig, model, Codec.bytes(), Codec.utf8(), Codec.utf8()));
        }

        void run(int steps) {
            for (int step = 0; step < steps; step++) {
                step(step);
                compare(step);
            }
            Kit.logRun(backend, seed, steps, accepted, refused);
        }

        private void step(int step) {
            int op = rnd.nextInt(100);
            long last = reference.lastSeqNo().map(SeqNo::value).orElse(-1L);
            long first = reference.firstSeqNo().map(SeqNo::value).orElse(-1L);
            long next = last >= 0 ? last + 1 : emptyStart;
            long lastCp = reference.retrieveLastCheckpoint().map(c -> c.seqNo().value()).orElse(-1L);
            long cut = -1;
            if (op < 20) {
                Decision<byte[]> d = randomDecision(next);
                both(step, "storeDecision " + next, l -> l.storeDecision(d));
            } else if (op < 40) {
                int n = 1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 40 : 8);
                List<Decision<byte[]>> batch = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    batch.add(randomDecision(next + i));
                }
                both(step, "storeDecisions " + next + ".." + (next + n - 1), l -> l.storeDecisions(batch));
            } else if (op < 48) {
                Decision<byte[]> d = randomDecision(next);
                both(step, "storeDecisionAsync " + next, l -> {
                    CompletableFuture<SeqNo> f = l.storeDecisionAsync(d);
                    if (l == subject) {
                        pending.add(f);
                    }
                });
            } else if (op < 52) {
                long wrong = rnd.nextBoolean() ? next + 1 + rnd.nextInt(3) : Math.max(0, next - 1 - rnd.nextInt(3));
                Decision<byte[]> d = randomDecision(wrong);
                both(step, "bad storeDecision " + wrong + " (next " + next + ")", l -> l.storeDecision(d));
            } else if (op < 60) {
                if (last < 0) {
                    return;
                }
                long seq = first + rnd.nextLong(last - first + 1);
                String state = "state-" + seq + "-" + rnd.nextInt(1000) + "-" + "s".repeat(rnd.nextInt(rnd.nextInt(10) == 0 ? 5000 : 100));
                checkpointSeqs.add(seq);
                both(step, "storeCheckpoint " + seq, l -> l.storeCheckpoint(SeqNo.of(seq), state));
            } else if (op < 66) {
                long point = lastCp >= 0 && rnd.nextInt(4) > 0 ? Math.max(0, lastCp - rnd.nextInt(10)) : Math.max(0, last + rnd.nextInt(3));
                both(step, "compactLogUpTo " + point + " (last checkpoint " + lastCp + ")", l -> l.compactLogUpTo(SeqNo.of(point)));
            } else if (op < 72) {
                if (last < 0) {
                    return;
                }
                long point = first + rnd.nextLong(last - first + 3);
                both(step, "truncateFrom " + point + " (last checkpoint " + lastCp + ")", l -> l.truncateFrom(SeqNo.of(point)));
                cut = point;
            } else if (op < 76) {
                String c = "conf-" + rnd.nextInt(1_000_000);
                both(step, "storeConfiguration", l -> l.storeConfiguration(c));
            } else if (op < 82) {
                String key = metaKeys.get(rnd.nextInt(metaKeys.size()));
                byte[] v = Kit.bytes(rnd, rnd.nextInt(200));
                both(step, "storeMetadata " + key, l -> l.storeMetadata(key, v));
            } else if (op < 87) {
                both(step, "sync", PersistentLog::sync);
                checkPending(step, "after sync()");
            } else if (op < 92) {
                trace(step, "close and reopen");
                subject.close();
                reference.close();
                checkPending(step, "after close()");
                subject = open(subjectConfig);
                reference = track(PersistentLogs.open(modelConfig, model, Codec.bytes(), Codec.utf8(), Codec.utf8()));
            } else {
                trace(step, "recover");
                RecoveryState<byte[], String, String> want = reference.recover();
                assertEquals(want, subject.recover(), () -> where(step, "recover()"));
            }
            if (last >= 0 && reference.lastSeqNo().isEmpty()) {
                // emptied: by truncateFrom, stores continue from the cut; by compaction, above the old last
                emptyStart = cut >= 0 ? cut : last + 1;
            }
        }

        private Decision<byte[]> randomDecision(long seq) {
            int size = switch (rnd.nextInt(20)) {
                case 0 -> 0;
                case 1 -> decisionLimit() - 256;
                default -> rnd.nextInt(300);
            };
            byte[] payload = rnd.nextInt(4) == 0 ? "ab".repeat(size / 2).getBytes(StandardCharsets.US_ASCII) : Kit.bytes(rnd, size);
            return new Decision<>(SeqNo.of(seq), rnd.nextInt(5), Kit.bytes(rnd, rnd.nextInt(3) * 16), payload, Kit.bytes(rnd, rnd.nextInt(40)));
        }

        private void both(int step, String what, LogOp op) {
            trace(step, what);
            if (Kit.sameOutcome(reference, subject, op::apply, what, message -> where(step, message))) {
                accepted++;
            } else {
                refused++;
            }
        }

        private void checkPending(int step, String when) {
            for (CompletableFuture<SeqNo> f : pending) {
                assertTrue(f.isDone() && !f.isCompletedExceptionally(), () -> where(step, "a storeDecisionAsync future " + when));
            }
            pending.clear();
        }

        private void compare(int step) {
            assertEquals(reference.firstSeqNo(), subject.firstSeqNo(), () -> where(step, "firstSeqNo()"));
            assertEquals(reference.lastSeqNo(), subject.lastSeqNo(), () -> where(step, "lastSeqNo()"));
            Optional<SeqNo> first = reference.firstSeqNo();
            if (first.isPresent()) {
                assertEquals(reference.retrieveDecision(first.get()), subject.retrieveDecision(first.get()),
                        () -> where(step, "retrieveDecision(firstSeqNo())"));
                List<Decision<byte[]>> want = reference.retrieveDecisionsAfter(first.get());
                List<Decision<byte[]>> got = subject.retrieveDecisionsAfter(first.get());
                assertEquals(want.size(), got.size(), () -> where(step, "number of decisions after firstSeqNo()"));
                for (int i = 0; i < want.size(); i++) {
                    int at = i;
                    assertEquals(want.get(i), got.get(i), () -> where(step, "decision " + want.get(at).seqNo()));
                }
            }
            assertEquals(reference.retrieveLastCheckpoint(), subject.retrieveLastCheckpoint(), () -> where(step, "retrieveLastCheckpoint()"));
            for (long cp : checkpointSeqs) {
                assertEquals(reference.retrieveCheckpoint(SeqNo.of(cp)), subject.retrieveCheckpoint(SeqNo.of(cp)),
                        () -> where(step, "retrieveCheckpoint(" + cp + ")"));
            }
            assertEquals(reference.retrieveConfiguration(), subject.retrieveConfiguration(), () -> where(step, "retrieveConfiguration()"));
            for (String key : metaKeys) {
                assertArrayEquals(reference.retrieveMetadata(key).orElse(null), subject.retrieveMetadata(key).orElse(null),
                        () -> where(step, "retrieveMetadata(" + key + ")"));
            }
        }

        private void trace(int step, String what) {
            trace.add(step + ": " + what);
            if (trace.size() > 12) {
                trace.remove(0);
            }
        }

        private String where(int step, String what) {
            return m(G2, what + " differs from the memory model after step " + step + " (seed=" + seed + ", replay with -D"
                    + Kit.SEED_PROPERTY + "=" + seed + "; " + settings + "); last steps: " + trace);
        }
    }

    @FunctionalInterface
    private interface LogOp {
        void apply(PersistentLog<byte[], String, String> log);
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    /** A fresh, not yet existing log directory under {@link #scratchDirectory()}. */
    protected final Path newDir() {
        try {
            return Files.createTempDirectory(scratchDirectory(), "log-").resolve("log");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create a scratch directory under " + scratchDirectory(), e);
        }
    }

    /** Opens {@code config} over {@link #provider()}; the kit closes the log after the test. */
    protected final PersistentLog<byte[], String, String> open(PersistentLogConfig config) {
        return track(PersistentLogs.open(config, provider(), Codec.bytes(), Codec.utf8(), Codec.utf8()));
    }

    private <L extends PersistentLog<?, ?, ?>> L track(L log) {
        closeAfterTest(log);
        return log;
    }

    /** The decision size limit core applies: {@code min(64 MiB, maxSegmentSize - 1024)}. */
    private int decisionLimit() {
        return (int) Math.min(64L << 20, maxSegmentSize() - 1024);
    }

    /** Decisions of {@link #decision} sizes spanning at least {@code segments} segments. */
    private int spanningSegments(int segments) {
        return (int) Math.min(20_000, segments * maxSegmentSize() / 150 + 1);
    }

    private static Decision<byte[]> decision(long seq, long salt) {
        return new Decision<>(SeqNo.of(seq), seq / 7, Kit.bytes(salt + 100, seq, 32),
                Kit.bytes(salt, seq, (int) Math.floorMod(seq * 37 + 11, 251L)), Kit.bytes(salt + 200, seq, (int) (seq % 3) * 24));
    }

    private static List<Decision<byte[]>> decisions(long from, int count, long salt) {
        List<Decision<byte[]>> list = new ArrayList<>(count);
        for (long seq = from; seq < from + count; seq++) {
            list.add(decision(seq, salt));
        }
        return list;
    }

    private void store(PersistentLog<byte[], String, String> log, String g, Decision<byte[]> d) {
        try {
            log.storeDecision(d);
        } catch (IllegalArgumentException e) {
            throw new AssertionError(m(g, "storeDecision(" + d.seqNo() + ") was refused after lastSeqNo() = "
                    + log.lastSeqNo() + ": " + e.getMessage()), e);
        }
    }

    private void storeAll(PersistentLog<byte[], String, String> log, String g, List<Decision<byte[]>> batch) {
        try {
            log.storeDecisions(batch);
        } catch (IllegalArgumentException e) {
            String range = batch.isEmpty() ? "an empty batch" : "decisions " + batch.get(0).seqNo() + ".."
                    + batch.get(batch.size() - 1).seqNo();
            throw new AssertionError(m(g, "storeDecisions of " + range + " was refused after lastSeqNo() = "
                    + log.lastSeqNo() + ": " + e.getMessage()), e);
        }
    }

    /** The log holds exactly {@code expected} (ascending, contiguous): first/last, each retrieve, after-lists, forEach. */
    private void assertAllDecisions(PersistentLog<byte[], String, String> log, List<Decision<byte[]>> expected, String g, String when) {
        Optional<SeqNo> first = expected.isEmpty() ? Optional.empty() : Optional.of(expected.get(0).seqNo());
        Optional<SeqNo> last = expected.isEmpty() ? Optional.empty() : Optional.of(expected.get(expected.size() - 1).seqNo());
        assertEquals(first, log.firstSeqNo(), m(g, when + ": firstSeqNo()"));
        assertEquals(last, log.lastSeqNo(), m(g, when + ": lastSeqNo()"));
        for (Decision<byte[]> d : expected) {
            Optional<Decision<byte[]>> got = log.retrieveDecision(d.seqNo());
            if (!got.equals(Optional.of(d))) {
                fail(m(g, when + ": retrieveDecision(" + d.seqNo() + ") returned " + got + ", expected " + d));
            }
        }
        if (first.isPresent()) {
            if (first.get().value() > 0) {
                assertEquals(Optional.empty(), log.retrieveDecision(SeqNo.of(first.get().value() - 1)),
                        m(g, when + ": retrieveDecision below firstSeqNo()"));
            }
            assertEquals(Optional.empty(), log.retrieveDecision(last.get().next()), m(g, when + ": retrieveDecision above lastSeqNo()"));
            assertSameDecisions(expected.subList(1, expected.size()), log.retrieveDecisionsAfter(first.get()), g,
                    when + ": retrieveDecisionsAfter(" + first.get() + ")");
            List<Decision<byte[]>> seen = new ArrayList<>();
            log.forEachDecisionAfter(first.get(), seen::add);
            assertSameDecisions(expected.subList(1, expected.size()), seen, g, when + ": forEachDecisionAfter(" + first.get() + ")");
        }
    }

    private void assertSameDecisions(List<Decision<byte[]>> expected, List<Decision<byte[]>> actual, String g, String when) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            if (!expected.get(i).equals(actual.get(i))) {
                fail(m(g, when + ": decision #" + i + " is " + actual.get(i) + ", expected " + expected.get(i)));
            }
        }
        if (expected.size() != actual.size()) {
            fail(m(g, when + ": " + actual.size() + " decisions, expected " + expected.size()));
        }
    }

    private <T> T await(CompletableFuture<T> f, String g, String what) throws InterruptedException {
        try {
            return f.get(FUTURE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(m(g, what + " completed exceptionally: " + e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError(m(g, what + " did not complete within " + FUTURE_TIMEOUT_SECONDS + " s (hang guard)"), e);
        }
    }

    private static void awaitTask(Future<?> task) throws Exception {
        try {
            task.get(100, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    private void assertMessage(RuntimeException e, String g, String what) {
        assertFalse(e.getMessage() == null || e.getMessage().isBlank(), m(g, what + ": the exception must have a message"));
    }

    private String m(String guarantee, String what) {
        return Kit.msg(backend, guarantee, what);
    }
}
