package io.atlas.log.tck.crash;

import io.atlas.log.Checkpoint;
import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.RecoveryState;
import io.atlas.log.SeqNo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32;

/**
 * What a log holds after a crash, read through the public API, plus every inconsistency the reads
 * showed between the API's views of it (scan, point reads, first/last, recover).
 */
final class LogSnapshot {

    private final NavigableMap<Long, Decision<byte[]>> decisions;
    private final Optional<Checkpoint<byte[]>> lastCheckpoint;
    private final NavigableMap<Long, byte[]> checkpoints;
    private final Optional<byte[]> configuration;
    private final Map<String, byte[]> metadata;
    private final List<String> problems;

    /**
     * @param decisions      the stored decisions by seq
     * @param lastCheckpoint what {@code retrieveLastCheckpoint} returned
     * @param checkpoints    the checkpoints found by {@code retrieveCheckpoint} at the seqs asked for
     * @param configuration  what {@code retrieveConfiguration} returned
     * @param metadata       the values found under the keys asked for
     * @param problems       inconsistencies between the API's views, each naming its guarantee
     */
    LogSnapshot(NavigableMap<Long, Decision<byte[]>> decisions, Optional<Checkpoint<byte[]>> lastCheckpoint,
                Map<Long, byte[]> checkpoints, Optional<byte[]> configuration, Map<String, byte[]> metadata,
                List<String> problems) {
        this.decisions = Collections.unmodifiableNavigableMap(new TreeMap<>(decisions));
        this.lastCheckpoint = lastCheckpoint;
        this.checkpoints = Collections.unmodifiableNavigableMap(new TreeMap<>(checkpoints));
        this.configuration = configuration;
        this.metadata = Collections.unmodifiableMap(new TreeMap<>(metadata));
        this.problems = List.copyOf(problems);
    }

    /**
     * Reads everything the verifier needs: every decision by a scan, each again by a point read,
     * the last checkpoint and those at {@code checkpointSeqs}, the configuration, the metadata under
     * {@code metaKeys}, and {@code recover()} twice, which must agree with the rest and with itself.
     */
    static LogSnapshot read(PersistentLog<byte[], byte[], byte[]> log, Collection<Long> checkpointSeqs,
                            Collection<String> metaKeys) {
        List<String> problems = new ArrayList<>();
        TreeMap<Long, Decision<byte[]>> decisions = new TreeMap<>();
        long[] previous = {-1};
        log.forEachDecisionAfter(SeqNo.ZERO, d -> {
            long seq = d.seqNo().value();
            if (seq <= previous[0]) {
                problems.add("G2: forEachDecisionAfter returned seq " + seq + " after seq " + previous[0]
                        + "; expected ascending sequence numbers");
            }
            previous[0] = seq;
            decisions.put(seq, d);
        });
        Optional<Long> first = log.firstSeqNo().map(SeqNo::value);
        Optional<Long> last = log.lastSeqNo().map(SeqNo::value);
        Optional<Long> scannedFirst = decisions.isEmpty() ? Optional.empty() : Optional.of(decisions.firstKey());
        Optional<Long> scannedLast = decisions.isEmpty() ? Optional.empty() : Optional.of(decisions.lastKey());
        if (!first.equals(scannedFirst) || !last.equals(scannedLast)) {
            problems.add("G2: firstSeqNo()/lastSeqNo() say " + first.map(String::valueOf).orElse("empty") + ".."
                    + last.map(String::valueOf).orElse("empty") + " but a scan found "
                    + scannedFirst.map(String::valueOf).orElse("empty") + ".."
                    + scannedLast.map(String::valueOf).orElse("empty"));
        }
        for (Decision<byte[]> d : decisions.values()) {
            Optional<Decision<byte[]>> point = log.retrieveDecision(d.seqNo());
            if (point.isEmpty() || !point.get().equals(d)) {
                problems.add("G2: retrieveDecision(" + d.seqNo().value() + ") returned "
                        + point.map(Decision::toString).orElse("nothing") + " but the scan returned " + d);
            }
        }
        if (!decisions.isEmpty()) {
            for (long outside : new long[] {decisions.firstKey() - 1, decisions.lastKey() + 1}) {
                if (outside > 0 && log.retrieveDecision(SeqNo.of(outside)).isPresent()) {
                    problems.add("G2: retrieveDecision(" + outside + ") found a decision outside the scanned range "
                            + decisions.firstKey() + ".." + decisions.lastKey());
                }
            }
        }
        Optional<Checkpoint<byte[]>> lastCheckpoint = log.retrieveLastCheckpoint();
        TreeMap<Long, byte[]> checkpoints = new TreeMap<>();
        TreeSet<Long> seqs = new TreeSet<>(checkpointSeqs);
        lastCheckpoint.ifPresent(c -> seqs.add(c.seqNo().value()));
        for (long seq : seqs) {
            log.retrieveCheckpoint(SeqNo.of(seq)).ifPresent(s -> checkpoints.put(seq, s));
        }
        lastCheckpoint.ifPresent(c -> {
            byte[] same = checkpoints.get(c.seqNo().value());
            if (same == null || !Arrays.equals(same, c.state())) {
                problems.add("G5: retrieveLastCheckpoint() returned seq " + c.seqNo().value()
                        + " but retrieveCheckpoint(" + c.seqNo().value() + ") returned "
                        + (same == null ? "nothing" : "other bytes"));
            }
        });
        Optional<byte[]> configuration = log.retrieveConfiguration();
        TreeMap<String, byte[]> metadata = new TreeMap<>();
        for (String key : metaKeys) {
            log.retrieveMetadata(key).ifPresent(v -> metadata.put(key, v));
        }
        LogSnapshot snapshot = new LogSnapshot(decisions, lastCheckpoint, checkpoints, configuration, metadata, problems);
        RecoveryState<byte[], byte[], byte[]> first1 = log.recover();
        RecoveryState<byte[], byte[], byte[]> second = log.recover();
        String expected = snapshot.recoveryDigest();
        String got1 = digest(first1);
        String got2 = digest(second);
        List<String> more = new ArrayList<>(problems);
        if (!got1.equals(expected)) {
            more.add("G6: recover() disagrees with the stored log: recover() gave " + got1
                    + ", the log holds " + expected);
        }
        if (!got2.equals(got1)) {
            more.add("G6: recover() is not idempotent: the first call gave " + got1 + ", the second " + got2);
        }
        return more.size() == problems.size() ? snapshot
                : new LogSnapshot(decisions, lastCheckpoint, checkpoints, configuration, metadata, more);
    }

    NavigableMap<Long, Decision<byte[]>> decisions() {
        return decisions;
    }

    Optional<Checkpoint<byte[]>> lastCheckpoint() {
        return lastCheckpoint;
    }

    NavigableMap<Long, byte[]> checkpoints() {
        return checkpoints;
    }

    Optional<byte[]> configuration() {
        return configuration;
    }

    Map<String, byte[]> metadata() {
        return metadata;
    }

    List<String> problems() {
        return problems;
    }

    /**
     * A one-line description of the whole recoverable state (range, last checkpoint, configuration,
     * metadata) with a checksum over all bytes: two snapshots with equal summaries hold the same data.
     */
    String summary() {
        CRC32 crc = new CRC32();
        for (Decision<byte[]> d : decisions.values()) {
            crc.update(ByteBuffer.allocate(8).putLong(Payloads.crc(d)).array());
        }
        lastCheckpoint.ifPresent(c -> update(crc, c.seqNo().value(), c.state()));
        configuration.ifPresent(c -> update(crc, -2, c));
        metadata.forEach((k, v) -> {
            crc.update(k.getBytes(StandardCharsets.UTF_8));
            update(crc, -3, v);
        });
        return "decisions=" + range(decisions) + " checkpoint="
                + lastCheckpoint.map(c -> c.seqNo().value() + "/" + idText(c.state())).orElse("none")
                + " config=" + configuration.map(LogSnapshot::idText).orElse("none")
                + " meta=" + metadata.keySet() + " crc=" + Long.toHexString(crc.getValue());
    }

    /** What {@code recover()} should return for this log, in the form {@link #digest} gives. */
    private String recoveryDigest() {
        long after = lastCheckpoint.map(c -> c.seqNo().value()).orElse(0L);
        return digest(lastCheckpoint, List.copyOf(decisions.tailMap(after, false).values()), configuration);
    }

    private static String digest(RecoveryState<byte[], byte[], byte[]> state) {
        return digest(state.checkpoint(), state.decisionsAfterCheckpoint(), state.configuration());
    }

    private static String digest(Optional<Checkpoint<byte[]>> checkpoint, List<Decision<byte[]>> decisions,
                                 Optional<byte[]> configuration) {
        CRC32 crc = new CRC32();
        StringBuilder ranges = new StringBuilder();
        long expectNext = Long.MIN_VALUE;
        for (Decision<byte[]> d : decisions) {
            long seq = d.seqNo().value();
            if (seq != expectNext) {
                ranges.append(ranges.length() == 0 ? "" : ",").append(seq);
            }
            expectNext = seq + 1;
            crc.update(ByteBuffer.allocate(8).putLong(Payloads.crc(d)).array());
        }
        checkpoint.ifPresent(c -> update(crc, c.seqNo().value(), c.state()));
        configuration.ifPresent(c -> update(crc, -2, c));
        return "[checkpoint " + checkpoint.map(c -> String.valueOf(c.seqNo().value())).orElse("none")
                + ", " + decisions.size() + " decisions starting at " + (ranges.length() == 0 ? "-" : ranges)
                + ", configuration " + configuration.map(LogSnapshot::idText).orElse("none")
                + ", crc " + Long.toHexString(crc.getValue()) + "]";
    }

    private static void update(CRC32 crc, long tag, byte[] bytes) {
        crc.update(ByteBuffer.allocate(12).putLong(tag).putInt(bytes.length).array());
        crc.update(bytes);
    }

    private static String idText(byte[] value) {
        OptionalLong id = Payloads.idOf(value);
        return id.isPresent() ? "id" + id.getAsLong() : "byte[" + value.length + "]";
    }

    static String range(NavigableMap<Long, ?> decisions) {
        return decisions.isEmpty() ? "none" : decisions.firstKey() + ".." + decisions.lastKey();
    }

    @Override
    public String toString() {
        return summary();
    }
}
