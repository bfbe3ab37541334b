package io.atlas.log.file;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Enumerated crash states of the file backend: at every write, fsync, rename, delete and directory
 * sync of seeded workloads, the states a crash may leave (see {@link CrashState}) are opened and
 * checked for G1, G2, G3, G5 and G6 ({@link CrashStateChecker}).
 *
 * <p>Expected outcome: every state opens and passes. That includes states in which the crash kept an
 * unsynced record and lost an earlier one (a valid record behind a torn one): the records' synced
 * watermarks show that none of it was durable, so open discards it as a torn tail. A
 * {@code CorruptLogException} at open is a G3 failure; such states are also counted and printed as
 * {@code refusedAsCorrupt} (which must be 0), with the first one in full. {@code reorderedTailsOpened}
 * counts the states with such a hole that opened and passed.
 *
 * <p>System properties: {@code atlas.crashstates.seed} (printed; random when absent);
 * {@code atlas.crashstates.points} and {@code atlas.crashstates.states}, 2500 and 10000 by default:
 * workloads run until at least this many crash points and crash states (not counting crashes during
 * recovery) were checked; {@code atlas.crashstates.workloads}: run exactly this many instead;
 * {@code atlas.crashstates.calls}: storage calls per workload, 200; and
 * {@code atlas.crashstates.statesPerPoint}: states built per crash point, 6 (durable-only, kill, then
 * the other power-loss kinds in turn; a state equal to one already checked there is skipped).
 */
class EnumeratedCrashStatesTest {

    private static final Logger BACKEND_LOG = Logger.getLogger(FileLogStorage.class.getName());
    private static final RecoveryWarnings WARNINGS = new RecoveryWarnings();
    private static boolean savedUseParent;

    /** Counts the backend's recovery warnings instead of printing thousands of them. */
    private static final class RecoveryWarnings extends Handler {
        final AtomicInteger tornTails = new AtomicInteger();
        final AtomicInteger laterRecordsDiscarded = new AtomicInteger();
        final AtomicInteger cutsFinished = new AtomicInteger();

        @Override
        public void publish(java.util.logging.LogRecord r) {
            String m = String.valueOf(r.getMessage());
            if (m.contains("discarded a torn tail")) {
                tornTails.incrementAndGet();
                if (m.contains("later record(s)")) {
                    laterRecordsDiscarded.incrementAndGet();
                }
            } else if (m.contains("finished an interrupted truncation")) {
                cutsFinished.incrementAndGet();
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @BeforeAll
    static void countBackendWarnings() {
        savedUseParent = BACKEND_LOG.getUseParentHandlers();
        BACKEND_LOG.setUseParentHandlers(false);
        BACKEND_LOG.addHandler(WARNINGS);
    }

    @AfterAll
    static void restoreBackendLog() {
        BACKEND_LOG.removeHandler(WARNINGS);
        BACKEND_LOG.setUseParentHandlers(savedUseParent);
    }

    @Test
    void g1_g2_g3_g5_g6_holdInEveryEnumeratedCrashState() {
        long seed = Long.getLong("atlas.crashstates.seed", new SplittableRandom().nextLong());
        int minPoints = Integer.getInteger("atlas.crashstates.points", 2500);
        int minStates = Integer.getInteger("atlas.crashstates.states", 10_000);
        Integer fixedWorkloads = Integer.getInteger("atlas.crashstates.workloads");
        int calls = Integer.getInteger("atlas.crashstates.calls", 200);
        int perPoint = Integer.getInteger("atlas.crashstates.statesPerPoint", 6);
        CrashStateCampaign campaign = new CrashStateCampaign(seed, SimulatedDisk.Fault.NONE, perPoint);
        int tornTails = WARNINGS.tornTails.get();
        int reordered = WARNINGS.laterRecordsDiscarded.get();
        int cutsFinished = WARNINGS.cutsFinished.get();
        long start = System.nanoTime();
        if (fixedWorkloads != null) {
            for (int i = 0; i < fixedWorkloads; i++) {
                campaign.runWorkload(calls);
            }
        } else {
            while (campaign.crashPoints() < minPoints || campaign.primaryStates() < minStates) {
                if (campaign.workloads() >= 1000) {
                    throw new AssertionError(campaign.summary() + ": 1000 workloads did not reach " + minPoints
                            + " crash points and " + minStates + " crash states");
                }
                campaign.runWorkload(calls);
            }
        }
        int torn = WARNINGS.tornTails.get() - tornTails;
        int withLater = WARNINGS.laterRecordsDiscarded.get() - reordered;
        int cuts = WARNINGS.cutsFinished.get() - cutsFinished;
        System.out.printf("%s in %.1f s; recovery discarded %d torn tails (%d with later unsynced records that had "
                + "reached the disk) and finished %d interrupted truncations%n",
                campaign.summary(), (System.nanoTime() - start) / 1e9, torn, withLater, cuts);
        if (campaign.firstRefusal() != null) {
            System.out.println("crash-states[file]: first state refused as corrupt (a G3 failure): "
                    + campaign.firstRefusal());
        }
        assertEquals(0, campaign.failedStates(), () -> campaign.summary() + "\n" + campaign.reports());
        assertEquals(0, campaign.refused(), () -> "no crash state may be refused as corrupt: " + campaign.summary()
                + "\n" + campaign.firstRefusal());
        if (campaign.crashPoints() >= 1000) {
            assertTrue(torn > 0 && cuts > 0, "the states must exercise torn-tail discarding and interrupted truncations: "
                    + torn + " and " + cuts);
            assertTrue(campaign.reorderedTails() > 0 && withLater > 0, "the states must exercise unsynced records "
                    + "kept behind a lost one: " + campaign.reorderedTails() + " states, " + withLater + " warnings");
        }
    }

    /** The harness can fail: a disk that acknowledges fdatasync without doing it loses acknowledged records. */
    @Test
    void harness_reportsG1WhenTheDiskIgnoresDataSync() {
        CrashStateCampaign campaign = brokenDiskCampaign(SimulatedDisk.Fault.IGNORE_DATA_SYNC);
        assertTrue(campaign.failuresByGuarantee().getOrDefault("G1", 0) > 0,
                () -> "a disk ignoring fdatasync must produce G1 failures: " + campaign.summary());
    }

    /** The harness can fail: a disk that acknowledges directory syncs without doing them loses checkpoints. */
    @Test
    void harness_reportsG5WhenTheDiskIgnoresDirectorySync() {
        CrashStateCampaign campaign = brokenDiskCampaign(SimulatedDisk.Fault.IGNORE_DIRECTORY_SYNC);
        assertTrue(campaign.failuresByGuarantee().getOrDefault("G5", 0) > 0,
                () -> "a disk ignoring directory syncs must produce G5 failures: " + campaign.summary());
    }

    private static CrashStateCampaign brokenDiskCampaign(SimulatedDisk.Fault fault) {
        long seed = Long.getLong("atlas.crashstates.seed", new SplittableRandom().nextLong());
        CrashStateCampaign campaign = new CrashStateCampaign(seed, fault, 2);
        campaign.runWorkload(80);
        System.out.println(campaign.summary());
        return campaign;
    }

    /**
     * The harness can fail: a state whose synced data was damaged (which no crash does) is refused as
     * corrupt by open, and the checker reports that refusal as a G3 failure; the undamaged state passes.
     */
    @Test
    void harness_reportsG3WhenOpenRefusesAStateAsCorrupt() throws IOException {
        Path dir = CrashStateCampaign.DIR;
        SimulatedDisk disk = new SimulatedDisk(dir, SimulatedDisk.Fault.NONE);
        CrashStateModel model = new CrashStateModel();
        CrashStateChecker checker = new CrashStateChecker(dir, Fixtures.SEGMENT, true);
        model.beginOther("open");
        LogStorage s = new FileStorageProvider(disk).open(new StorageConfig(dir, Fixtures.SEGMENT));
        model.end();
        for (List<LogRecord> batch : List.of(Fixtures.records(0, 5), Fixtures.records(5, 3))) {
            model.beginAppend(batch);
            s.append(batch);
            model.end();
            model.beginSync();
            s.sync();
            model.end();
        }
        model.beginOther("close");
        s.close();
        model.end();

        SplittableRandom rnd = new SplittableRandom(1);
        CrashStateChecker.Verdict intact = checker.check(CrashState.durableOnly(disk, dir), model, false, rnd);
        assertEquals(List.of(), intact.failures(), "the undamaged state passes");

        Map<String, byte[]> files = disk.liveFiles(dir);
        byte[] segment = files.get(Segment.fileName(0, 0));
        int record1 = SegmentHeader.SIZE + RecordFormat.HEADER_SIZE + Fixtures.data(0).length;
        segment[record1 + RecordFormat.HEADER_SIZE + 7] ^= 0x5A;
        CrashState damaged = CrashState.durableOnly(SimulatedDisk.of(dir, files), dir);
        CrashStateChecker.Verdict v = checker.check(damaged, model, false, rnd);
        assertTrue(v.refusal() != null && v.refusal().contains("offset " + record1) && v.refusal().contains("seq 1"),
                "open refuses damage that record 5's watermark vouches for: " + v.refusal());
        assertEquals(List.of("G3"), v.failures().stream().map(CrashStateModel.Failure::guarantee).toList(),
                v.failures().toString());
    }

    /** The simulated disk itself: what a crash keeps of unforced writes and unsynced directory changes. */
    @Test
    void simulatedDisk_keepsForcedDataAndSyncedEntriesOnly() throws IOException {
        Path dir = CrashStateCampaign.DIR;
        SimulatedDisk disk = new SimulatedDisk(dir, SimulatedDisk.Fault.NONE);
        try (FileHandle h = disk.open(dir.resolve("a.tmp"), FileIo.OpenMode.CREATE_NEW)) {
            h.writeFully(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
            h.force(true);
            h.writeFully(ByteBuffer.wrap(filled(3 * SimulatedDisk.SECTOR, (byte) 7)), 3);
        }
        disk.rename(dir.resolve("a.tmp"), dir.resolve("a"));
        SplittableRandom rnd = new SplittableRandom(1);

        assertEquals(Map.of(), CrashState.of(disk, dir, CrashState.Kind.DURABLE_ONLY, rnd).disk().liveFiles(dir),
                "neither the create nor the rename was synced");
        assertEquals(Set.of("a"), CrashState.of(disk, dir, CrashState.Kind.KILL, rnd).disk().liveFiles(dir).keySet());

        disk.syncDirectory(dir);
        assertArrayEquals(new byte[] {1, 2, 3},
                CrashState.of(disk, dir, CrashState.Kind.DURABLE_ONLY, rnd).disk().liveFiles(dir).get("a"),
                "only the forced write is durable");
        Set<String> shapes = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            byte[] a = CrashState.of(disk, dir, CrashState.Kind.SUBSET, rnd).disk().liveFiles(dir).get("a");
            StringBuilder shape = new StringBuilder();
            for (int s = 0; s * SimulatedDisk.SECTOR < 3 + 3 * SimulatedDisk.SECTOR; s++) {
                int at = Math.max(3, s * SimulatedDisk.SECTOR);
                shape.append(at < a.length && a[at] == 7 ? 'k' : '-');
            }
            shapes.add(shape.toString());
        }
        assertTrue(shapes.stream().anyMatch(shape -> shape.matches(".*-.*k.*")),
                "a crash keeps the sectors of one write independently, a later one without an earlier: " + shapes);
        boolean grewWithZeros = false;
        for (int i = 0; i < 50 && !grewWithZeros; i++) {
            byte[] a = CrashState.of(disk, dir, CrashState.Kind.ZEROS, rnd).disk().liveFiles(dir).get("a");
            grewWithZeros = a.length == 3 + 3 * SimulatedDisk.SECTOR && a[a.length - 1] == 0;
        }
        assertTrue(grewWithZeros, "ZEROS keeps the new size with the lost appended bytes read as zeros");
    }

    /** A torn record followed by an intact one is a hole; a torn tail is not. */
    @Test
    void crashState_hasHoleOnlyWhenAnIntactRecordFollowsADamagedOne() {
        byte[] intended = new byte[SegmentHeader.SIZE + 3 * (RecordFormat.HEADER_SIZE + 10)];
        ByteBuffer b = ByteBuffer.wrap(intended).position(SegmentHeader.SIZE);
        CRC32C crc = new CRC32C();
        byte[] scratch = new byte[RecordFormat.HEADER_SIZE];
        for (long seq = 0; seq < 3; seq++) {
            byte[] data = filled(10, (byte) (seq + 1));
            RecordFormat.putHeader(b, data.length, seq, SegmentHeader.SIZE,
                    RecordFormat.checksum(crc, scratch, seq, SegmentHeader.SIZE, data));
            b.put(data);
        }
        int second = SegmentHeader.SIZE + RecordFormat.HEADER_SIZE + 10;
        byte[] tornTail = intended.clone();
        tornTail[intended.length - 1] = 0;
        byte[] tornMiddle = intended.clone();
        tornMiddle[second + 3] ^= 1;
        assertFalse(CrashState.hasHole(intended, intended));
        assertFalse(CrashState.hasHole(intended, tornTail));
        assertTrue(CrashState.hasHole(intended, tornMiddle));
    }

    /** The judge itself: each bad state is named by the guarantee it breaks, and a good one passes. */
    @Test
    void crashStateModel_namesTheGuaranteeEachBadStateBreaks() {
        CrashStateModel m = new CrashStateModel();
        m.beginAppend(List.of(record(1, 'a'), record(2, 'a'), record(3, 'a')));
        m.end();
        m.beginSync();
        m.end();
        m.beginAppend(List.of(record(4, 'a')));
        m.end();
        m.beginTruncatePrefix(1);
        m.end();
        m.beginTruncateSuffix(3);
        m.end();
        m.beginAppend(List.of(record(3, 'b')));
        m.end();
        m.beginSync();
        m.end();
        m.beginPutCheckpoint(7, new byte[] {7});

        assertEquals(List.of(), judge(m, 2, data(2, 'a'), data(3, 'b')), "the acknowledged log");
        assertEquals(List.of("G1"), judge(m, 2, data(2, 'a')), "a synced record lost");
        assertEquals(List.of("G2"), judge(m, 2, data(2, 'a'), data(3, 'b'), data(4, 'a')),
                "a record truncated away before a sync returned");
        assertEquals(List.of("G2"), judge(m, 2, data(2, 'a'), data(3, 'b'), data(4, 'x')), "bytes never appended");
        assertEquals(List.of("G1", "G2"), judge(m, 2, data(2, 'a'), data(3, 'a')), "the synced version replaced by an old one");
        assertEquals(List.of("G6", "G2"), judge(m, 1, data(1, 'a'), data(2, 'a'), data(3, 'b')),
                "a record at the returned prefix point");
        assertEquals(2, m.acceptableCheckpoint(7).size(), "a checkpoint in flight may be old or new");
        m.end();
        assertEquals(1, m.acceptableCheckpoint(7).size(), "a checkpoint put that returned must be new");
    }

    private static List<String> judge(CrashStateModel m, long first, byte[]... records) {
        List<CrashStateModel.Failure> failures = new ArrayList<>();
        m.checkRecords(first, first + records.length - 1, List.of(records), failures);
        return failures.stream().map(CrashStateModel.Failure::guarantee).toList();
    }

    private static LogRecord record(long seq, char version) {
        return new LogRecord(seq, data(seq, version));
    }

    private static byte[] data(long seq, char version) {
        return (seq + "-" + version).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] filled(int n, byte v) {
        byte[] b = new byte[n];
        Arrays.fill(b, v);
        return b;
    }
}
