package io.atlas.log.file;

import io.atlas.log.CorruptLogException;
import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * Opens the file backend on one {@link CrashState} and judges what it finds against a
 * {@link CrashStateModel}: G1 (acknowledged records survive), G2 (one contiguous prefix of a state
 * the log passed through, byte-identical, nothing never written), G3 (open succeeds and leaves a
 * clean log: reads agree, appending works, a second open after a power loss agrees), G5 (each checkpoint and metadata
 * value is the acknowledged one or the one in flight) and G6 (nothing at or below a returned prefix
 * truncation point, no hole, and the point still refuses appends on an empty log).
 *
 * <p>A crash never damages durable data, so open must never refuse a crash state: a
 * {@link CorruptLogException} is a G3 failure, also when the crash left an intact unsynced record
 * behind a lost one (which the backend must read as a torn tail by the records' synced watermarks).
 */
final class CrashStateChecker {

    /**
     * What checking one state found: the message of a refusal to open as corrupt (or null; a refusal is
     * always among the failures too), the failures, and a state of a crash during its recovery (or null).
     */
    record Verdict(String refusal, List<CrashStateModel.Failure> failures, CrashState recovery) {
    }

    /** Kinds a crash during recovery is drawn from. */
    private static final CrashState.Kind[] RECOVERY_KINDS = {CrashState.Kind.DURABLE_ONLY, CrashState.Kind.PREFIX,
            CrashState.Kind.SUBSET, CrashState.Kind.ZEROS};

    private final Path dir;
    private final int segmentSize;
    private final boolean preallocate;

    CrashStateChecker(Path dir, int segmentSize, boolean preallocate) {
        this.dir = dir;
        this.segmentSize = segmentSize;
        this.preallocate = preallocate;
    }

    private LogStorage open(SimulatedDisk disk) throws IOException {
        return new FileStorageProvider(disk).open(new StorageConfig(dir, segmentSize,
                Map.of(FileStorageProvider.OPTION_PREALLOCATE, Boolean.toString(preallocate))));
    }

    /**
     * Checks {@code state}. When {@code sampleRecovery}, also picks one operation of the recovery that
     * opening it does, uniformly, and returns a state of a crash right after it.
     */
    Verdict check(CrashState state, CrashStateModel model, boolean sampleRecovery, SplittableRandom rnd) {
        List<CrashStateModel.Failure> failures = new ArrayList<>();
        SimulatedDisk disk = state.disk();
        CrashState[] recovery = new CrashState[1];
        if (sampleRecovery) {
            int[] ops = {0};
            disk.listener(op -> {
                if (rnd.nextInt(++ops[0]) == 0) {
                    recovery[0] = CrashState.of(disk, dir, RECOVERY_KINDS[rnd.nextInt(RECOVERY_KINDS.length)], rnd);
                }
            });
        }
        LogStorage s;
        try {
            s = open(disk);
        } catch (CorruptLogException e) {
            failures.add(new CrashStateModel.Failure("G3", "open refused as corrupt a state a crash can leave"
                    + (state.holeFiles().isEmpty() ? "" : " (an intact unsynced record follows a lost one in "
                            + state.holeFiles() + ")") + ": " + e.getMessage()));
            return new Verdict(String.valueOf(e.getMessage()), failures, recovery[0]);
        } catch (IOException | RuntimeException e) {
            failures.add(new CrashStateModel.Failure("G3", "open failed: " + e));
            return new Verdict(null, failures, recovery[0]);
        } finally {
            disk.listener(op -> { });
        }
        try {
            Observed seen = observe(s, "after open", failures);
            if (seen == null) {
                return new Verdict(null, failures, recovery[0]);
            }
            model.checkRecords(seen.first, seen.last, seen.data, failures);
            Map<Long, Optional<byte[]>> checkpoints = checkpoints(s, model, failures);
            Map<String, Optional<byte[]>> meta = meta(s, model, failures);
            if (failures.isEmpty()) {
                appendAndReopen(s, disk, model, seen, checkpoints, meta, failures);
            }
        } catch (IOException | RuntimeException e) {
            failures.add(new CrashStateModel.Failure("G3", "a call after open failed: " + e));
        } finally {
            closeQuietly(s, failures);
        }
        return new Verdict(null, failures, recovery[0]);
    }

    /** The records after open, as read, scan and first/lastSeq show them. */
    private record Observed(long first, long last, List<byte[]> data) {
    }

    /** Reads everything three ways and checks that they agree (G6); null when they do not. */
    private Observed observe(LogStorage s, String when, List<CrashStateModel.Failure> failures) throws IOException {
        long first = s.firstSeq();
        long last = s.lastSeq();
        if ((first < 0) != (last < 0) || first > last) {
            failures.add(new CrashStateModel.Failure("G6", when + ": firstSeq " + first + " and lastSeq " + last
                    + " disagree"));
            return null;
        }
        List<Long> seqs = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        s.scan(0, Long.MAX_VALUE, (seq, bytes) -> {
            seqs.add(seq);
            data.add(bytes);
        });
        int expected = last < 0 ? 0 : (int) (last - first + 1);
        boolean contiguous = seqs.size() == expected;
        for (int i = 0; contiguous && i < seqs.size(); i++) {
            contiguous = seqs.get(i) == first + i;
        }
        if (!contiguous) {
            failures.add(new CrashStateModel.Failure("G6", when + ": scan visited " + describe(seqs) + ", but firstSeq.."
                    + "lastSeq is " + first + ".." + last));
            return null;
        }
        for (int i = 0; i < seqs.size(); i++) {
            Optional<byte[]> read = s.read(first + i);
            if (read.isEmpty() || !Arrays.equals(read.get(), data.get(i))) {
                failures.add(new CrashStateModel.Failure("G6", when + ": read(" + (first + i) + ") gives "
                        + value(read) + ", scan gave " + data.get(i).length + " bytes"));
                return null;
            }
        }
        if ((first > 0 && s.read(first - 1).isPresent()) || s.read(Math.max(last, first) + 1).isPresent()) {
            failures.add(new CrashStateModel.Failure("G6", when + ": read finds a record outside firstSeq..lastSeq "
                    + first + ".." + last));
            return null;
        }
        return new Observed(first, last, data);
    }

    private static Map<Long, Optional<byte[]>> checkpoints(LogStorage s, CrashStateModel model,
            List<CrashStateModel.Failure> failures) throws IOException {
        Set<Long> listed = new TreeSet<>();
        for (long seq : s.checkpointSeqs()) {
            listed.add(seq);
        }
        Set<Long> all = new TreeSet<>(listed);
        all.addAll(model.checkpointSeqsUsed());
        Map<Long, Optional<byte[]>> found = new TreeMap<>();
        for (long seq : all) {
            Optional<byte[]> got;
            try {
                got = s.readCheckpoint(seq);
            } catch (CorruptLogException e) {
                failures.add(new CrashStateModel.Failure("G5", "checkpoint " + seq + " is damaged: " + e.getMessage()));
                continue;
            }
            found.put(seq, got);
            if (listed.contains(seq) != got.isPresent()) {
                failures.add(new CrashStateModel.Failure("G5", "checkpointSeqs() " + (listed.contains(seq) ? "lists" : "omits")
                        + " checkpoint " + seq + " but readCheckpoint gives " + value(got)));
            }
            List<Optional<byte[]>> ok = model.acceptableCheckpoint(seq);
            if (!matchesOne(got, ok)) {
                failures.add(new CrashStateModel.Failure("G5", "checkpoint " + seq + " holds " + value(got)
                        + "; expected " + values(ok)));
            }
        }
        return found;
    }

    private static Map<String, Optional<byte[]>> meta(LogStorage s, CrashStateModel model,
            List<CrashStateModel.Failure> failures) throws IOException {
        Map<String, Optional<byte[]>> found = new TreeMap<>();
        for (String key : model.metaKeysUsed()) {
            Optional<byte[]> got;
            try {
                got = s.getMeta(key);
            } catch (CorruptLogException e) {
                failures.add(new CrashStateModel.Failure("G5", "metadata '" + key + "' is damaged: " + e.getMessage()));
                continue;
            }
            found.put(key, got);
            List<Optional<byte[]>> ok = model.acceptableMeta(key);
            if (!matchesOne(got, ok)) {
                failures.add(new CrashStateModel.Failure("G5", "metadata '" + key + "' holds " + value(got) + "; expected "
                        + values(ok)));
            }
        }
        return found;
    }

    /**
     * G3 and G6 after recovery: an empty log still refuses a seq at the returned prefix point, one
     * record appends and syncs, and a second open after a power loss shows the same records plus that
     * one, and the same checkpoints and metadata.
     */
    private void appendAndReopen(LogStorage s, SimulatedDisk disk, CrashStateModel model, Observed seen,
            Map<Long, Optional<byte[]>> checkpoints, Map<String, Optional<byte[]>> meta,
            List<CrashStateModel.Failure> failures) throws IOException {
        try {
            long point = model.acknowledgedPrefixPoint();
            if (seen.last < 0 && point >= 0) {
                try {
                    s.append(List.of(new LogRecord(point, new byte[8])));
                    failures.add(new CrashStateModel.Failure("G6", "the empty log accepted an append at seq " + point
                            + " although truncatePrefix(" + point + ") returned"));
                    return;
                } catch (IllegalArgumentException expected) {
                    // the point survived the crash
                }
            }
            long next = model.nextSeqAfterCrash(seen.last);
            byte[] probe = new byte[8 + (int) (next % 50)];
            FileFormat.putLong(probe, 0, ~next);
            s.append(List.of(new LogRecord(next, probe)));
            s.sync();
        } finally {
            s.close();
        }
        // The second open sees only what is durable: the repairs of the first open must be.
        LogStorage again = open(CrashState.durableOnly(disk, dir).disk());
        try {
            Observed after = observe(again, "second open after a power loss", failures);
            if (after == null) {
                return;
            }
            long expectedFirst = seen.last < 0 ? model.nextSeqAfterCrash(-1) : seen.first;
            long expectedLast = model.nextSeqAfterCrash(seen.last);
            boolean same = after.first == expectedFirst && after.last == expectedLast;
            for (int i = 0; same && i < seen.data.size(); i++) {
                same = Arrays.equals(seen.data.get(i), after.data.get(i));
            }
            if (!same) {
                failures.add(new CrashStateModel.Failure("G3", "second open shows " + after.first + ".." + after.last
                        + " (or different bytes); the first open showed " + seen.first + ".." + seen.last
                        + " and seq " + expectedLast + " was appended and synced after it"));
            }
            Map<Long, Optional<byte[]>> checkpointsAgain = new TreeMap<>();
            for (long seq : checkpoints.keySet()) {
                checkpointsAgain.put(seq, again.readCheckpoint(seq));
            }
            Map<String, Optional<byte[]>> metaAgain = new TreeMap<>();
            for (String key : meta.keySet()) {
                metaAgain.put(key, again.getMeta(key));
            }
            if (!sameValues(checkpoints, checkpointsAgain) || !sameValues(meta, metaAgain)) {
                failures.add(new CrashStateModel.Failure("G3", "second open shows other checkpoints or metadata than the "
                        + "first: " + checkpointsAgain.keySet() + " vs " + checkpoints.keySet()));
            }
        } finally {
            again.close();
        }
    }

    private static <K> boolean sameValues(Map<K, Optional<byte[]>> a, Map<K, Optional<byte[]>> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<K, Optional<byte[]>> e : a.entrySet()) {
            if (!matchesOne(e.getValue(), List.of(b.get(e.getKey())))) {
                return false;
            }
        }
        return true;
    }

    private static boolean matchesOne(Optional<byte[]> got, List<Optional<byte[]>> candidates) {
        for (Optional<byte[]> c : candidates) {
            if (c.isPresent() == got.isPresent() && (c.isEmpty() || Arrays.equals(c.get(), got.get()))) {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(LogStorage s, List<CrashStateModel.Failure> failures) {
        try {
            s.close();
        } catch (IOException e) {
            failures.add(new CrashStateModel.Failure("G3", "close failed: " + e));
        }
    }

    static String value(Optional<byte[]> v) {
        if (v.isEmpty()) {
            return "nothing";
        }
        CRC32C crc = new CRC32C();
        crc.update(v.get());
        return v.get().length + " bytes (crc32c " + Long.toHexString(crc.getValue()) + ")";
    }

    private static String values(List<Optional<byte[]>> vs) {
        List<String> out = new ArrayList<>();
        for (Optional<byte[]> v : vs) {
            out.add(value(v));
        }
        return String.join(" or ", out);
    }

    private static String describe(List<Long> seqs) {
        if (seqs.isEmpty()) {
            return "nothing";
        }
        return seqs.size() + " records from " + seqs.get(0) + " to " + seqs.get(seqs.size() - 1);
    }
}
