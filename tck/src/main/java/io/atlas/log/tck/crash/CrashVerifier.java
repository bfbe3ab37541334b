package io.atlas.log.tck.crash;

import io.atlas.log.Checkpoint;
import io.atlas.log.Decision;
import io.atlas.log.SyncPolicy;
import io.atlas.log.tck.crash.CrashEvent.Op;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Decides whether what a log holds after a crash is a state the guarantees allow, given everything the
 * writer tried and everything it was told was done.
 *
 * <p>The rules, for each sequence number {@code s}:
 * <ul>
 *   <li>Durable: an attempt at {@code s} is durable after a process kill once it was acknowledged
 *       (the page cache survives); after a power loss only if acknowledged under {@code everyWrite},
 *       completed as an async future, or followed by an acknowledged {@code sync()} or by an
 *       acknowledged checkpoint at or above {@code s}.</li>
 *   <li>G1: the latest durable attempt at {@code s} must be present, unless a later
 *       {@code truncateFrom} at or below {@code s} was tried, or a compaction at or above {@code s}.
 *       Nothing older than it may be present either.</li>
 *   <li>G2: what is present at {@code s} is byte-identical to one attempt at {@code s}; it was not
 *       removed by an acknowledged {@code truncateFrom} tried after it; the stored sequence numbers
 *       form one range without holes.</li>
 *   <li>G5: the last checkpoint, the configuration and each metadata value is the last acknowledged
 *       one or the one in flight at the crash, byte for byte (never torn, never rolled back).</li>
 *   <li>G6: the decisions after the last checkpoint are all there: the stored range reaches down to
 *       the checkpoint and up to at least it; {@code recover()} agrees with the log and with itself.</li>
 * </ul>
 */
final class CrashVerifier {

    /** The kind of crash the log went through. */
    enum Fault {
        /** SIGKILL of the writer: the OS keeps every write that returned. */
        PROCESS_KILL("process kill"),
        /** The file system stopped without flushing: only what was synced survives. */
        POWER_LOSS("power loss");

        private final String text;

        Fault(String text) {
            this.text = text;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * The outcome of one verification.
     *
     * @param violations            each names its guarantee (G1, G2, G5, G6) or HARNESS
     * @param acknowledged          decision attempts acknowledged in this history
     * @param required              sequence numbers that had to be present
     * @param lostAcknowledged      acknowledged decisions that are gone although nothing removed them
     *                              (legal only where they were not durable)
     * @param stored                decisions found in the log
     */
    record Result(List<String> violations, int acknowledged, int required, int lostAcknowledged, int stored) {
    }

    private static final class Attempt {
        final long seq;
        final long id;
        final String key;
        final int tryIndex;
        final int life;
        final boolean baseline;
        int ackIndex = -1;
        boolean async;

        Attempt(long seq, long id, String key, int tryIndex, int life, boolean baseline) {
            this.seq = seq;
            this.id = id;
            this.key = key;
            this.tryIndex = tryIndex;
            this.life = life;
            this.baseline = baseline;
        }

        boolean acknowledged() {
            return baseline || ackIndex >= 0;
        }

        @Override
        public String toString() {
            return "id " + id + (baseline ? " (verified before)" : " (tried at event #" + tryIndex
                    + (ackIndex >= 0 ? ", acknowledged at #" + ackIndex + (async ? " by its future" : "") : ", not acknowledged")
                    + ")");
        }
    }

    private final long seed;
    private final CrashHistory history;
    private final Fault fault;
    /** The fault, for messages: with the event at which a power cut began. */
    private final String faultText;
    private final List<String> violations = new ArrayList<>();
    private final Map<Long, List<Attempt>> decisions = new TreeMap<>();
    private final List<Attempt> checkpoints = new ArrayList<>();
    private final List<Attempt> configurations = new ArrayList<>();
    private final Map<String, List<Attempt>> metadata = new TreeMap<>();
    private final List<Attempt> truncations = new ArrayList<>();
    private final List<Attempt> compactions = new ArrayList<>();
    private final List<Attempt> syncs = new ArrayList<>();

    private CrashVerifier(long seed, CrashHistory history, Fault fault) {
        this.seed = seed;
        this.history = history;
        this.fault = fault;
        int cut = -1;
        for (CrashHistory.Entry entry : history.entries()) {
            if (entry.event().type() == CrashEvent.Type.SHUTDOWN) {
                cut = entry.index();
            }
        }
        this.faultText = cut < 0 ? fault.toString() : fault + " (cut at event #" + cut + ")";
    }

    /**
     * Checks {@code observed} against {@code history}.
     *
     * @param seed the seed the payloads were generated with
     */
    static Result verify(long seed, CrashHistory history, LogSnapshot observed, Fault fault) {
        CrashVerifier v = new CrashVerifier(seed, history, fault);
        v.load();
        return v.check(observed);
    }

    /** The checkpoint seqs the history mentions, which a snapshot should read. */
    static List<Long> checkpointSeqs(CrashHistory history) {
        List<Long> seqs = new ArrayList<>();
        history.baseline().ifPresent(b -> seqs.addAll(b.checkpoints().keySet()));
        for (CrashHistory.Entry e : history.entries()) {
            if (e.event().type() == CrashEvent.Type.TRY && e.event().op() == Op.CHECKPOINT) {
                seqs.add(e.event().seq());
            }
        }
        return seqs;
    }

    private void load() {
        history.baseline().ifPresent(b -> {
            for (Decision<byte[]> d : b.decisions().values()) {
                decisions.computeIfAbsent(d.seqNo().value(), k -> new ArrayList<>())
                        .add(new Attempt(d.seqNo().value(), d.view(), null, -1, 0, true));
            }
            // older baseline checkpoints get lower indices, so "newer than" keeps meaning newer
            int rank = -1;
            for (Map.Entry<Long, byte[]> c : b.checkpoints().descendingMap().entrySet()) {
                OptionalLong id = Payloads.idOf(c.getValue());
                if (id.isPresent()) {
                    checkpoints.add(new Attempt(c.getKey(), id.getAsLong(), null, rank--, 0, true));
                }
            }
            b.configuration().flatMap(c -> box(Payloads.idOf(c)))
                    .ifPresent(id -> configurations.add(new Attempt(-1, id, null, -1, 0, true)));
            b.metadata().forEach((key, value) -> box(Payloads.idOf(value)).ifPresent(id ->
                    metadata.computeIfAbsent(key, k -> new ArrayList<>()).add(new Attempt(-1, id, key, -1, 0, true))));
        });
        for (CrashHistory.Entry entry : history.entries()) {
            CrashEvent e = entry.event();
            int i = entry.index();
            if (e.type() == CrashEvent.Type.TRY) {
                Attempt a = new Attempt(e.seq(), e.id(), e.key(), i, entry.life(), false);
                switch (e.op()) {
                    case DECISION -> {
                        checkCrc(e, Payloads.crc(Payloads.decision(seed, e.seq(), e.id())));
                        decisions.computeIfAbsent(e.seq(), k -> new ArrayList<>()).add(a);
                    }
                    case CHECKPOINT -> {
                        checkCrc(e, Payloads.crc(Payloads.checkpoint(seed, e.seq(), e.id())));
                        checkpoints.add(a);
                    }
                    case CONFIG -> {
                        checkCrc(e, Payloads.crc(Payloads.configuration(seed, e.id())));
                        configurations.add(a);
                    }
                    case META -> {
                        checkCrc(e, Payloads.crc(Payloads.metadata(seed, e.key(), e.id())));
                        metadata.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(a);
                    }
                    case TRUNCATE -> truncations.add(a);
                    case COMPACT -> compactions.add(a);
                    case SYNC -> syncs.add(a);
                }
            } else if (e.type() == CrashEvent.Type.ACK) {
                List<Attempt> candidates = switch (e.op()) {
                    case DECISION -> decisions.getOrDefault(e.seq(), List.of());
                    case CHECKPOINT -> checkpoints;
                    case CONFIG -> configurations;
                    case META -> metadata.getOrDefault(e.key(), List.of());
                    case TRUNCATE -> truncations;
                    case COMPACT -> compactions;
                    case SYNC -> syncs;
                };
                Attempt match = null;
                for (Attempt a : candidates) {
                    if (!a.baseline && a.ackIndex < 0 && a.life == entry.life() && a.seq == e.seq() && a.id == e.id()) {
                        match = a;
                    }
                }
                if (match == null) {
                    violations.add("HARNESS: event #" + i + " '" + e.toLine() + "' acknowledges nothing that was tried");
                } else {
                    match.ackIndex = i;
                    match.async = e.async();
                }
            }
        }
    }

    private void checkCrc(CrashEvent e, long expected) {
        if (e.crc() != expected) {
            violations.add("HARNESS: '" + e.toLine() + "' reports crc " + e.crc() + " but the parent regenerates "
                    + expected + " for it; child and parent do not generate the same bytes");
        }
    }

    private Result check(LogSnapshot observed) {
        for (String p : observed.problems()) {
            violations.add(p);
        }
        int acknowledged = 0;
        int required = 0;
        int lost = 0;
        Map<Long, Attempt> durableLatest = new LinkedHashMap<>();
        for (Map.Entry<Long, List<Attempt>> e : decisions.entrySet()) {
            long seq = e.getKey();
            Attempt w = null;
            for (Attempt a : e.getValue()) {
                if (!a.baseline && a.ackIndex >= 0) {
                    acknowledged++;
                    if (!removedAfter(a) && !observedIs(observed, seq, a.id)) {
                        lost++;
                    }
                }
                if (durable(a) && (w == null || a.tryIndex > w.tryIndex)) {
                    w = a;
                }
            }
            if (w != null) {
                durableLatest.put(seq, w);
                if (!removedAfter(w)) {
                    required++;
                    if (!observed.decisions().containsKey(seq)) {
                        violations.add("G1: acknowledged decision " + seq + " (" + w + policyText(w)
                                + ") is missing after the " + faultText + "; the log holds "
                                + LogSnapshot.range(observed.decisions()));
                    }
                }
            }
        }
        long previous = Long.MIN_VALUE;
        for (Decision<byte[]> d : observed.decisions().values()) {
            long seq = d.seqNo().value();
            if (previous != Long.MIN_VALUE && seq != previous + 1) {
                violations.add("G2: the stored decisions have a hole: " + previous + " is followed by " + seq);
            }
            previous = seq;
            checkStored(d, durableLatest.get(seq));
        }
        checkCheckpoints(observed);
        checkSlot("configuration", configurations, observed.configuration(), a -> Payloads.configuration(seed, a.id));
        for (Map.Entry<String, List<Attempt>> m : metadata.entrySet()) {
            String key = m.getKey();
            checkSlot("metadata '" + key + "'", m.getValue(), Optional.ofNullable(observed.metadata().get(key)),
                    a -> Payloads.metadata(seed, key, a.id));
        }
        for (String key : observed.metadata().keySet()) {
            if (!metadata.containsKey(key)) {
                violations.add("G2: metadata '" + key + "' is present but was never written");
            }
        }
        return new Result(List.copyOf(violations), acknowledged, required, lost, observed.decisions().size());
    }

    private void checkStored(Decision<byte[]> d, Attempt durable) {
        long seq = d.seqNo().value();
        List<Attempt> tried = decisions.getOrDefault(seq, List.of());
        Attempt a = null;
        for (Attempt t : tried) {
            if (t.id == d.view()) {
                a = t;
            }
        }
        if (a == null) {
            violations.add("G2: decision " + seq + " was never written: it carries attempt id " + d.view()
                    + (tried.isEmpty() ? ", and nothing was ever written at " + seq
                    : ", but the attempts at " + seq + " were " + tried.stream().map(t -> String.valueOf(t.id)).toList()));
            return;
        }
        Decision<byte[]> expected = Payloads.decision(seed, seq, a.id);
        if (!expected.equals(d)) {
            violations.add("G2: decision " + seq + " (" + a + ") is not byte-identical to what was stored: "
                    + difference(expected, d));
            return;
        }
        for (Attempt t : truncations) {
            if (t.ackIndex >= 0 && t.seq <= seq && t.tryIndex > a.tryIndex) {
                violations.add("G2: decision " + seq + " (" + a + ") is back although truncateFrom(" + t.seq
                        + ") acknowledged at event #" + t.ackIndex + " removed it before the " + faultText);
                return;
            }
        }
        if (durable != null && a.tryIndex < durable.tryIndex) {
            violations.add("G1: decision " + seq + " holds an older version (" + a + ") than the acknowledged "
                    + durable + " after the " + faultText);
        }
    }

    private void checkCheckpoints(LogSnapshot observed) {
        Attempt last = lastAcknowledged(checkpoints);
        Optional<Checkpoint<byte[]>> stored = observed.lastCheckpoint();
        if (stored.isEmpty()) {
            if (last != null) {
                violations.add("G5: the last checkpoint is missing after the " + faultText + "; checkpoint " + last.seq
                        + " (" + last + ") was acknowledged");
            }
        } else {
            Checkpoint<byte[]> c = stored.get();
            long seq = c.seqNo().value();
            Attempt a = find(checkpoints, seq, c.state());
            if (a == null) {
                violations.add("G5: the last checkpoint (seq " + seq + ", " + c.state().length
                        + " bytes) is torn or was never written: it matches no checkpoint attempted at " + seq);
            } else if (last != null && a.tryIndex < last.tryIndex) {
                violations.add("G5: the last checkpoint is " + seq + " (" + a + "), older than the acknowledged checkpoint "
                        + last.seq + " (" + last + ")");
            }
            if (!observed.decisions().isEmpty()
                    && (observed.decisions().firstKey() > seq + 1 || observed.decisions().lastKey() < seq)) {
                violations.add("G6: the decisions after checkpoint " + seq + " are not all there: the log holds "
                        + LogSnapshot.range(observed.decisions()) + ", which must reach down to " + (seq + 1)
                        + " and up to at least " + seq);
            }
        }
        for (Map.Entry<Long, byte[]> c : observed.checkpoints().entrySet()) {
            if (find(checkpoints, c.getKey(), c.getValue()) == null) {
                violations.add("G5: checkpoint " + c.getKey() + " (" + c.getValue().length
                        + " bytes) is torn or was never written");
            }
        }
        if (last != null && !observed.checkpoints().containsKey(last.seq)) {
            violations.add("G5: acknowledged checkpoint " + last.seq + " (" + last + ") cannot be read back after the "
                    + faultText);
        }
    }

    private Attempt find(List<Attempt> attempts, long seq, byte[] state) {
        OptionalLong id = Payloads.idOf(state);
        if (id.isEmpty()) {
            return null;
        }
        for (Attempt a : attempts) {
            if (a.seq == seq && a.id == id.getAsLong()
                    && Arrays.equals(state, Payloads.checkpoint(seed, seq, a.id))) {
                return a;
            }
        }
        return null;
    }

    private void checkSlot(String what, List<Attempt> attempts, Optional<byte[]> stored, Function<Attempt, byte[]> bytes) {
        Attempt last = lastAcknowledged(attempts);
        if (stored.isEmpty()) {
            if (last != null) {
                violations.add("G5: the " + what + " is missing after the " + faultText + "; " + last + " was acknowledged");
            }
            return;
        }
        byte[] value = stored.get();
        OptionalLong id = Payloads.idOf(value);
        Attempt a = null;
        for (Attempt t : attempts) {
            if (id.isPresent() && t.id == id.getAsLong() && Arrays.equals(value, bytes.apply(t))) {
                a = t;
            }
        }
        if (a == null) {
            violations.add("G5: the " + what + " (" + value.length + " bytes) is torn or was never written");
        } else if (last != null && a.tryIndex < last.tryIndex) {
            violations.add("G5: the " + what + " was rolled back to " + a + " although " + last + " was acknowledged");
        }
    }

    private static Attempt lastAcknowledged(List<Attempt> attempts) {
        Attempt last = null;
        for (Attempt a : attempts) {
            if (a.acknowledged() && (last == null || a.tryIndex > last.tryIndex)) {
                last = a;
            }
        }
        return last;
    }

    /** Whether a truncation at or below the attempt's seq was tried after it, or a compaction at or above it. */
    private boolean removedAfter(Attempt a) {
        for (Attempt t : truncations) {
            if (t.seq <= a.seq && t.tryIndex > a.tryIndex) {
                return true;
            }
        }
        for (Attempt c : compactions) {
            if (c.seq >= a.seq) {
                return true;
            }
        }
        return false;
    }

    private boolean durable(Attempt a) {
        if (a.baseline) {
            return true;
        }
        if (a.ackIndex >= 0 && (fault == Fault.PROCESS_KILL || a.async
                || history.policy(a.life) instanceof SyncPolicy.EveryWrite)) {
            return true;
        }
        for (Attempt s : syncs) {
            if (s.ackIndex >= 0 && s.life == a.life && s.tryIndex > a.tryIndex) {
                return true;
            }
        }
        for (Attempt c : checkpoints) {
            if (!c.baseline && c.ackIndex >= 0 && c.life == a.life && c.tryIndex > a.tryIndex && a.seq <= c.seq) {
                return true;
            }
        }
        return false;
    }

    private String policyText(Attempt a) {
        return a.baseline ? "" : ", sync policy " + history.policy(a.life);
    }

    private static boolean observedIs(LogSnapshot observed, long seq, long id) {
        Decision<byte[]> d = observed.decisions().get(seq);
        return d != null && d.view() == id;
    }

    private static String difference(Decision<byte[]> expected, Decision<byte[]> got) {
        if (!Arrays.equals(expected.payload(), got.payload())) {
            int n = Math.min(expected.payload().length, got.payload().length);
            int at = 0;
            while (at < n && expected.payload()[at] == got.payload()[at]) {
                at++;
            }
            return "payload of " + got.payload().length + " bytes, expected " + expected.payload().length
                    + "; first difference at byte " + at;
        }
        if (!Arrays.equals(expected.digest(), got.digest())) {
            return "digest differs";
        }
        if (!Arrays.equals(expected.proof(), got.proof())) {
            return "proof of " + got.proof().length + " bytes differs (expected " + expected.proof().length + ")";
        }
        return "view " + got.view() + ", expected " + expected.view();
    }

    private static Optional<Long> box(OptionalLong v) {
        return v.isPresent() ? Optional.of(v.getAsLong()) : Optional.empty();
    }
}
