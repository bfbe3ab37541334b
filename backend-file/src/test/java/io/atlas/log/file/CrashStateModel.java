package io.atlas.log.file;

import io.atlas.log.spi.LogRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a workload did to a {@link io.atlas.log.spi.LogStorage} and what the storage acknowledged, so
 * that the state found after a crash at any moment can be judged.
 *
 * <p>Calls are numbered from 0 in the order they began; the workload calls a {@code begin...} method
 * before each storage call and {@link #end()} when it returned. A crash happens inside the call in
 * flight, or between calls. The model keeps:
 * <ul>
 * <li>the log after each call ({@code L_t}: first and last seq; the bytes of each seq in
 *     {@code L_t} are its latest version appended by call {@code t}), so that the records found
 *     after a crash can be required to be a prefix of one state the log passed through (G2);</li>
 * <li>the records that must survive (G1): those present when a sync returned, less those a returned
 *     truncation removed;</li>
 * <li>the prefix truncation point that returned (G6), and the earliest state a crash may still show:
 *     not before the last returned sync or truncatePrefix;</li>
 * <li>for each checkpoint and metadata key, the last acknowledged value and the one in flight (G5).</li>
 * </ul>
 * Suffix truncation is judged by the SPI contract (durable after the next sync), not by this
 * backend's stronger promise, so the check holds every backend to the same rule.
 */
final class CrashStateModel {

    /** The bytes call {@code call} appended at one seq. */
    private record Version(int call, byte[] data) {
    }

    /** One violated guarantee. */
    record Failure(String guarantee, String message) {
        @Override
        public String toString() {
            return guarantee + ": " + message;
        }
    }

    private final Map<Long, List<Version>> versions = new HashMap<>();
    private final List<String> callNames = new ArrayList<>();
    /** First and last seq after call t, at index t + 1; index 0 is the empty log before any call. */
    private long[] firstAfter = {-1};
    private long[] lastAfter = {-1};
    private boolean inFlight;

    private long first = -1;
    private long last = -1;
    /** The highest prefix truncation point attempted, returned or not. */
    private long prefixPoint = -1;

    private long ackFirst = -1;
    private long ackLast = -1;
    private int ackRef = -1;
    private long ackPrefix = -1;
    private int earliestCall = -1;
    /** Bounds of what must survive while a truncation is in flight: the caller gave those records up. */
    private long inFlightPrefix = -1;
    private long inFlightSuffix = Long.MAX_VALUE;

    private final Map<Long, byte[]> ackCheckpoints = new TreeMap<>();
    private final Set<Long> checkpointSeqsUsed = new TreeSet<>();
    private final Map<String, byte[]> ackMeta = new TreeMap<>();
    private final Set<String> metaKeysUsed = new TreeSet<>();
    private Runnable onEnd = () -> { };
    private Long pendingCheckpoint;
    private byte[] pendingCheckpointValue;
    private String pendingMetaKey;
    private byte[] pendingMetaValue;

    // ---------------------------------------------------------------------------------------------
    // the workload's view

    long first() {
        return first;
    }

    long last() {
        return last;
    }

    boolean isEmpty() {
        return last < 0;
    }

    long prefixPoint() {
        return prefixPoint;
    }

    /** The seq the next append must start at, or the lowest one allowed when the log is empty. */
    long nextSeq() {
        return isEmpty() ? prefixPoint + 1 : last + 1;
    }

    Set<Long> checkpointSeqsUsed() {
        return checkpointSeqsUsed;
    }

    Set<String> metaKeysUsed() {
        return metaKeysUsed;
    }

    // ---------------------------------------------------------------------------------------------
    // calls

    private int begin(String name) {
        if (inFlight) {
            throw new IllegalStateException("crash model: call '" + name + "' begun while '"
                    + callNames.get(callNames.size() - 1) + "' is still in flight");
        }
        callNames.add(name);
        inFlight = true;
        onEnd = () -> { };
        return callNames.size() - 1;
    }

    /** Records the log after the call just begun (the crash may show it from the call's first operation). */
    private void recordState() {
        int t = callNames.size() - 1;
        if (firstAfter.length < t + 2) {
            firstAfter = Arrays.copyOf(firstAfter, Math.max(t + 2, firstAfter.length * 2));
            lastAfter = Arrays.copyOf(lastAfter, firstAfter.length);
        }
        firstAfter[t + 1] = first;
        lastAfter[t + 1] = last;
    }

    void beginAppend(List<LogRecord> records) {
        int call = begin("append " + records.get(0).seq() + ".." + records.get(records.size() - 1).seq());
        if (isEmpty()) {
            first = records.get(0).seq();
        }
        for (LogRecord r : records) {
            versions.computeIfAbsent(r.seq(), k -> new ArrayList<>(1)).add(new Version(call, r.data()));
        }
        last = records.get(records.size() - 1).seq();
        recordState();
    }

    void beginSync() {
        int call = begin("sync");
        recordState();
        onEnd = () -> {
            ackFirst = first;
            ackLast = last;
            ackRef = call;
            earliestCall = call;
        };
    }

    void beginTruncatePrefix(long point) {
        int call = begin("truncatePrefix(" + point + ")");
        if (point > prefixPoint) {
            prefixPoint = point;
            if (!isEmpty() && point >= first) {
                if (point >= last) {
                    first = -1;
                    last = -1;
                } else {
                    first = point + 1;
                }
            }
        }
        recordState();
        inFlightPrefix = point;
        onEnd = () -> {
            if (point > ackPrefix) {
                ackPrefix = point;
                earliestCall = call;
                if (ackLast >= 0 && point >= ackFirst) {
                    if (point >= ackLast) {
                        ackFirst = -1;
                        ackLast = -1;
                    } else {
                        ackFirst = point + 1;
                    }
                }
            }
        };
    }

    void beginTruncateSuffix(long from) {
        begin("truncateSuffix(" + from + ")");
        if (!isEmpty() && from <= last) {
            if (from <= first) {
                first = -1;
                last = -1;
            } else {
                last = from - 1;
            }
        }
        recordState();
        inFlightSuffix = from;
        onEnd = () -> {
            // Not durable before the next sync; but what it removed need not survive any more.
            if (ackLast >= 0 && from <= ackLast) {
                if (from <= ackFirst) {
                    ackFirst = -1;
                    ackLast = -1;
                } else {
                    ackLast = from - 1;
                }
            }
        };
    }

    void beginPutCheckpoint(long seq, byte[] state) {
        begin("putCheckpoint(" + seq + ", " + state.length + " bytes)");
        recordState();
        checkpointSeqsUsed.add(seq);
        pendingCheckpoint = seq;
        pendingCheckpointValue = state;
        onEnd = () -> ackCheckpoints.put(seq, state);
    }

    void beginDeleteCheckpoint(long seq) {
        begin("deleteCheckpoint(" + seq + ")");
        recordState();
        checkpointSeqsUsed.add(seq);
        pendingCheckpoint = seq;
        pendingCheckpointValue = null;
        onEnd = () -> ackCheckpoints.remove(seq);
    }

    void beginPutMeta(String key, byte[] value) {
        begin("putMeta(" + key + ", " + value.length + " bytes)");
        recordState();
        metaKeysUsed.add(key);
        pendingMetaKey = key;
        pendingMetaValue = value;
        onEnd = () -> ackMeta.put(key, value);
    }

    /** A call that changes nothing the model tracks (close and reopen). */
    void beginOther(String name) {
        begin(name);
        recordState();
    }

    void end() {
        if (!inFlight) {
            throw new IllegalStateException("crash model: end() without a call in flight");
        }
        onEnd.run();
        onEnd = () -> { };
        inFlight = false;
        inFlightPrefix = -1;
        inFlightSuffix = Long.MAX_VALUE;
        pendingCheckpoint = null;
        pendingCheckpointValue = null;
        pendingMetaKey = null;
        pendingMetaValue = null;
    }

    /** "call #n (name), in flight" or "after call #n (name)", for messages. */
    String position() {
        int t = callNames.size() - 1;
        return t < 0 ? "before the first call" : (inFlight ? "inside call #" : "after call #") + t + " ("
                + callNames.get(t) + ")";
    }

    // ---------------------------------------------------------------------------------------------
    // judging a crash state

    /** The seq at which to test that appending works after the crash. */
    long nextSeqAfterCrash(long visibleLast) {
        return visibleLast >= 0 ? visibleLast + 1 : prefixPoint + 1;
    }

    /** The prefix truncation point that returned, or -1. */
    long acknowledgedPrefixPoint() {
        return ackPrefix;
    }

    /**
     * Judges the records found after a crash: {@code visible} holds seqs {@code vFirst..vLast}
     * ({@code -1, -1} and empty when none), already checked to agree among read, scan and
     * first/lastSeq.
     */
    void checkRecords(long vFirst, long vLast, List<byte[]> visible, List<Failure> out) {
        boolean empty = vLast < 0;
        if (!empty && vFirst <= ackPrefix) {
            out.add(new Failure("G6", "record seq " + vFirst + " is visible although truncatePrefix(" + ackPrefix
                    + ") returned"));
        }
        if (ackLast >= 0) {
            int missing = 0;
            String firstProblem = null;
            long from = Math.max(ackFirst, inFlightPrefix + 1);
            long to = Math.min(ackLast, inFlightSuffix - 1);
            for (long seq = from; seq <= to; seq++) {
                byte[] want = versionAt(seq, ackRef).data;
                String problem = null;
                if (empty || seq < vFirst || seq > vLast) {
                    problem = "record seq " + seq + " is missing";
                } else if (!Arrays.equals(want, visible.get((int) (seq - vFirst)))) {
                    problem = "record seq " + seq + " differs from what was appended (" + want.length + " bytes)";
                }
                if (problem != null) {
                    missing++;
                    if (firstProblem == null) {
                        firstProblem = problem;
                    }
                }
            }
            if (firstProblem != null) {
                out.add(new Failure("G1", firstProblem + "; " + missing + " of the records " + from + ".." + to
                        + " acknowledged by the sync of call #" + ackRef + " are missing or different; found "
                        + (empty ? "an empty log" : vFirst + ".." + vLast)));
            }
        }
        if (empty) {
            return;
        }
        int lo = earliestCall;
        int hi = callNames.size() - 1;
        for (long seq = vFirst; seq <= vLast; seq++) {
            byte[] got = visible.get((int) (seq - vFirst));
            List<Version> vs = versions.getOrDefault(seq, List.of());
            int match = -1;
            for (int i = vs.size() - 1; i >= 0; i--) {
                if (Arrays.equals(vs.get(i).data, got)) {
                    match = i;
                    break;
                }
            }
            if (match < 0) {
                out.add(new Failure("G2", "record seq " + seq + " holds " + got.length + " bytes that were never appended"
                        + " at that seq (" + vs.size() + " version(s) were)"));
                return;
            }
            lo = Math.max(lo, vs.get(match).call);
            if (match + 1 < vs.size()) {
                hi = Math.min(hi, vs.get(match + 1).call - 1);
            }
        }
        for (int t = Math.max(lo, -1); t <= hi; t++) {
            if (firstAfter[t + 1] == vFirst && lastAfter[t + 1] >= vLast) {
                return;
            }
        }
        out.add(new Failure("G2", "records " + vFirst + ".." + vLast + " are not a prefix of any state the log passed "
                + "through from call #" + earliestCall + " (the last returned sync or truncatePrefix) on; their "
                + "versions fit calls #" + lo + "..#" + hi));
    }

    /** The values a checkpoint may have after the crash: empty for absent. */
    List<Optional<byte[]>> acceptableCheckpoint(long seq) {
        List<Optional<byte[]>> ok = new ArrayList<>(2);
        ok.add(Optional.ofNullable(ackCheckpoints.get(seq)));
        if (inFlight && pendingCheckpoint != null && pendingCheckpoint == seq) {
            ok.add(Optional.ofNullable(pendingCheckpointValue));
        }
        return ok;
    }

    /** The values a metadata key may have after the crash: empty for absent. */
    List<Optional<byte[]>> acceptableMeta(String key) {
        List<Optional<byte[]>> ok = new ArrayList<>(2);
        ok.add(Optional.ofNullable(ackMeta.get(key)));
        if (inFlight && key.equals(pendingMetaKey)) {
            ok.add(Optional.of(pendingMetaValue));
        }
        return ok;
    }

    private Version versionAt(long seq, int call) {
        List<Version> vs = versions.get(seq);
        for (int i = vs.size() - 1; i >= 0; i--) {
            if (vs.get(i).call <= call) {
                return vs.get(i);
            }
        }
        throw new IllegalStateException("crash model: no version of seq " + seq + " at call #" + call);
    }
}
