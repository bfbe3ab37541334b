package io.atlas.log.tck.crash;

import io.atlas.log.Checkpoint;
import io.atlas.log.Decision;
import io.atlas.log.SeqNo;
import io.atlas.log.SyncPolicy;
import io.atlas.log.tck.crash.CrashEvent.Op;
import io.atlas.log.tck.crash.CrashVerifier.Fault;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The verifier's rules on hand-made histories and logs: each broken state is reported under the
 * guarantee it breaks, and each state the guarantees allow passes.
 */
class CrashVerifierTest {

    private static final long SEED = 0x5eedL;

    private final History h = new History(SyncPolicy.everyWrite());

    /** A history under construction plus the log state to check against it. */
    private static final class History {
        final CrashHistory history;
        final TreeMap<Long, Decision<byte[]>> stored = new TreeMap<>();
        Optional<Checkpoint<byte[]>> checkpoint = Optional.empty();
        final TreeMap<Long, byte[]> checkpoints = new TreeMap<>();
        Optional<byte[]> configuration = Optional.empty();
        final TreeMap<String, byte[]> metadata = new TreeMap<>();
        final List<String> problems = new ArrayList<>();

        History(SyncPolicy policy) {
            this(Optional.empty(), policy);
        }

        History(Optional<LogSnapshot> baseline, SyncPolicy policy) {
            history = new CrashHistory(baseline);
            history.startLife(1, policy);
        }

        /** Tries and acknowledges decisions {@code from..to} with ids equal to their seq plus {@code idBase}. */
        History acked(long from, long to, long idBase) {
            for (long s = from; s <= to; s++) {
                tried(s, s + idBase);
                ack(s, s + idBase);
            }
            return this;
        }

        History tried(long seq, long id) {
            history.add(CrashEvent.tryOp(Op.DECISION, seq, id, null, Payloads.crc(Payloads.decision(SEED, seq, id))));
            return this;
        }

        History ack(long seq, long id) {
            history.add(CrashEvent.ack(Op.DECISION, seq, id, null, false));
            return this;
        }

        History op(Op op, long seq, boolean acknowledged) {
            history.add(CrashEvent.tryOp(op, seq, -1, null, -1));
            if (acknowledged) {
                history.add(CrashEvent.ack(op, seq, -1, null, false));
            }
            return this;
        }

        History checkpointed(long seq, long id, boolean acknowledged) {
            history.add(CrashEvent.tryOp(Op.CHECKPOINT, seq, id, null, Payloads.crc(Payloads.checkpoint(SEED, seq, id))));
            if (acknowledged) {
                history.add(CrashEvent.ack(Op.CHECKPOINT, seq, id, null, false));
            }
            return this;
        }

        /** The log holds decisions {@code from..to} with ids equal to their seq plus {@code idBase}. */
        History holds(long from, long to, long idBase) {
            for (long s = from; s <= to; s++) {
                stored.put(s, Payloads.decision(SEED, s, s + idBase));
            }
            return this;
        }

        History holdsCheckpoint(long seq, long id) {
            byte[] state = Payloads.checkpoint(SEED, seq, id);
            checkpoint = Optional.of(new Checkpoint<>(SeqNo.of(seq), state));
            checkpoints.put(seq, state);
            return this;
        }

        LogSnapshot snapshot() {
            return new LogSnapshot(stored, checkpoint, checkpoints, configuration, metadata, problems);
        }

        List<String> verify(Fault fault) {
            return CrashVerifier.verify(SEED, history, snapshot(), fault).violations();
        }
    }

    private static void assertPasses(List<String> violations) {
        assertTrue(violations.isEmpty(), () -> "expected no violation, got:\n" + String.join("\n", violations));
    }

    private static void assertReports(List<String> violations, String expected) {
        assertTrue(violations.stream().anyMatch(v -> v.contains(expected)),
                () -> "expected a violation containing '" + expected + "', got:\n" + String.join("\n", violations));
    }

    @Test
    void everyAcknowledgedDecisionPresent_passes() {
        h.acked(1, 5, 100).holds(1, 5, 100);
        assertPasses(h.verify(Fault.PROCESS_KILL));
        assertPasses(h.verify(Fault.POWER_LOSS));
    }

    @Test
    void g1_missingAcknowledgedDecisionIsReported() {
        h.acked(1, 5, 100).holds(1, 4, 100);
        assertReports(h.verify(Fault.PROCESS_KILL), "G1: acknowledged decision 5");
    }

    @Test
    void g1_unacknowledgedTailMayBeKeptOrLost() {
        h.acked(1, 5, 100).tried(6, 106);
        assertPasses(h.holds(1, 5, 100).verify(Fault.PROCESS_KILL));
        assertPasses(h.holds(6, 6, 100).verify(Fault.PROCESS_KILL));
    }

    @Test
    void g2_holeIsReported() {
        h.acked(1, 5, 100).tried(6, 106).holds(1, 2, 100).holds(4, 6, 100);
        List<String> v = h.verify(Fault.PROCESS_KILL);
        assertReports(v, "G2: the stored decisions have a hole: 2 is followed by 4");
        assertReports(v, "G1: acknowledged decision 3");
    }

    @Test
    void g2_wrongBytesAreReported() {
        h.acked(1, 3, 100).holds(1, 3, 100);
        Decision<byte[]> d = h.stored.get(2L);
        byte[] payload = d.payload().clone();
        payload[payload.length - 1] ^= 1;
        h.stored.put(2L, new Decision<>(d.seqNo(), d.view(), d.digest(), payload, d.proof()));
        assertReports(h.verify(Fault.PROCESS_KILL), "G2: decision 2 (id 102 (tried at event #2, acknowledged at #3))"
                + " is not byte-identical to what was stored: payload of " + payload.length + " bytes, expected "
                + payload.length + "; first difference at byte " + (payload.length - 1));
    }

    @Test
    void g2_decisionNeverWrittenIsReported() {
        h.acked(1, 3, 100).holds(1, 4, 100);
        assertReports(h.verify(Fault.PROCESS_KILL), "G2: decision 4 was never written");
        History other = new History(SyncPolicy.everyWrite()).acked(1, 3, 100).holds(1, 2, 100).holds(3, 3, 900);
        assertReports(other.verify(Fault.PROCESS_KILL), "G2: decision 3 was never written: it carries attempt id 903");
    }

    @Test
    void g2_decisionRemovedByAcknowledgedTruncationMustNotReturn() {
        h.acked(1, 5, 100).op(Op.TRUNCATE, 4, true).acked(4, 4, 200);
        assertPasses(h.holds(1, 3, 100).holds(4, 4, 200).verify(Fault.PROCESS_KILL));
        h.holds(5, 5, 100);
        assertReports(h.verify(Fault.PROCESS_KILL), "G2: decision 5 (id 105");
        assertReports(h.verify(Fault.PROCESS_KILL), "is back although truncateFrom(4)");
    }

    @Test
    void g2_rewrittenDecisionsMustNotShowTheirOldVersion() {
        h.acked(1, 5, 100).op(Op.TRUNCATE, 4, true).acked(4, 5, 200).holds(1, 5, 100);
        List<String> v = h.verify(Fault.PROCESS_KILL);
        assertReports(v, "G2: decision 4 (id 104");
        assertReports(v, "G2: decision 5 (id 105");
    }

    @Test
    void truncationInFlightMayHaveHappenedOrNot() {
        h.acked(1, 5, 100).op(Op.TRUNCATE, 4, false);
        assertPasses(h.holds(1, 3, 100).verify(Fault.PROCESS_KILL));
        assertPasses(h.holds(1, 5, 100).verify(Fault.PROCESS_KILL));
    }

    @Test
    void compactedDecisionsMayBeAbsentOrPresent() {
        h.acked(1, 5, 100).checkpointed(3, 1000, true).op(Op.COMPACT, 2, true).holdsCheckpoint(3, 1000);
        assertPasses(h.holds(3, 5, 100).verify(Fault.PROCESS_KILL));
        assertPasses(h.holds(1, 5, 100).verify(Fault.PROCESS_KILL));
    }

    @Test
    void powerLoss_periodicDecisionsNeedASyncButProcessKillKeepsThemAll() {
        History p = new History(SyncPolicy.periodic(Duration.ofMillis(25))).acked(1, 5, 100).op(Op.SYNC, -1, true)
                .acked(6, 8, 100).holds(1, 5, 100);
        assertPasses(p.verify(Fault.POWER_LOSS));
        assertReports(p.verify(Fault.PROCESS_KILL), "G1: acknowledged decision 6");
        History lost = new History(SyncPolicy.periodic(Duration.ofMillis(25))).acked(1, 5, 100).op(Op.SYNC, -1, true)
                .holds(1, 4, 100);
        assertReports(lost.verify(Fault.POWER_LOSS), "G1: acknowledged decision 5 (id 105 (tried at event #8, "
                + "acknowledged at #9), sync policy periodic:25ms) is missing after the power loss");
    }

    @Test
    void powerLoss_asyncCompletionMeansDurable() {
        History p = new History(SyncPolicy.none()).tried(1, 101);
        p.history.add(CrashEvent.ack(Op.DECISION, 1, 101, null, true));
        assertReports(p.verify(Fault.POWER_LOSS), "G1: acknowledged decision 1 (id 101 (tried at event #0, "
                + "acknowledged at #1 by its future)");
    }

    @Test
    void powerLoss_checkpointMakesTheDecisionsBelowItDurable() {
        History p = new History(SyncPolicy.none()).acked(1, 3, 100).checkpointed(3, 1000, true).acked(4, 4, 100)
                .holdsCheckpoint(3, 1000).holds(1, 2, 100);
        List<String> v = p.verify(Fault.POWER_LOSS);
        assertReports(v, "G1: acknowledged decision 3");
        assertReports(v, "G6: the decisions after checkpoint 3 are not all there");
        assertTrue(v.stream().noneMatch(s -> s.contains("decision 4 ")), () -> String.join("\n", v));
    }

    @Test
    void g5_lastCheckpointOlderThanTheAcknowledgedIsReported() {
        h.acked(1, 6, 100).checkpointed(3, 1000, true).checkpointed(6, 1001, true).holds(1, 6, 100).holdsCheckpoint(3, 1000);
        List<String> v = h.verify(Fault.PROCESS_KILL);
        assertReports(v, "G5: the last checkpoint is 3");
        assertReports(v, "G5: acknowledged checkpoint 6");
    }

    @Test
    void g5_checkpointInFlightMayWinOrNot() {
        h.acked(1, 6, 100).checkpointed(3, 1000, true).checkpointed(6, 1001, false).holds(1, 6, 100);
        assertPasses(h.holdsCheckpoint(3, 1000).verify(Fault.POWER_LOSS));
        assertPasses(h.holdsCheckpoint(6, 1001).verify(Fault.POWER_LOSS));
    }

    @Test
    void g5_tornCheckpointIsReported() {
        h.acked(1, 3, 100).checkpointed(3, 1000, true).holds(1, 3, 100);
        byte[] state = Payloads.checkpoint(SEED, 3, 1000);
        byte[] torn = java.util.Arrays.copyOf(state, state.length / 2 + 8);
        h.checkpoint = Optional.of(new Checkpoint<>(SeqNo.of(3), torn));
        h.checkpoints.put(3L, torn);
        List<String> v = h.verify(Fault.PROCESS_KILL);
        assertReports(v, "G5: the last checkpoint (seq 3, " + torn.length + " bytes) is torn or was never written");
    }

    @Test
    void g5_missingCheckpointIsReported() {
        h.acked(1, 3, 100).checkpointed(3, 1000, true).holds(1, 3, 100);
        assertReports(h.verify(Fault.POWER_LOSS), "G5: the last checkpoint is missing after the power loss");
    }

    @Test
    void g5_configurationAndMetadataMustNotRollBack() {
        long c1 = 1L << 32 | 1;
        long c2 = 1L << 32 | 2;
        h.history.add(CrashEvent.tryOp(Op.CONFIG, -1, c1, null, Payloads.crc(Payloads.configuration(SEED, c1))));
        h.history.add(CrashEvent.ack(Op.CONFIG, -1, c1, null, false));
        h.history.add(CrashEvent.tryOp(Op.CONFIG, -1, c2, null, Payloads.crc(Payloads.configuration(SEED, c2))));
        h.history.add(CrashEvent.ack(Op.CONFIG, -1, c2, null, false));
        h.history.add(CrashEvent.tryOp(Op.META, -1, c1, "view", Payloads.crc(Payloads.metadata(SEED, "view", c1))));
        h.history.add(CrashEvent.ack(Op.META, -1, c1, "view", false));
        h.configuration = Optional.of(Payloads.configuration(SEED, c1));
        List<String> v = h.verify(Fault.PROCESS_KILL);
        assertReports(v, "G5: the configuration was rolled back to id " + c1);
        assertReports(v, "G5: the metadata 'view' is missing after the process kill");
        h.configuration = Optional.of(Payloads.configuration(SEED, c2));
        h.metadata.put("view", Payloads.metadata(SEED, "view", c1));
        assertPasses(h.verify(Fault.PROCESS_KILL));
        h.metadata.put("vote", Payloads.metadata(SEED, "vote", c1));
        assertReports(h.verify(Fault.PROCESS_KILL), "G2: metadata 'vote' is present but was never written");
    }

    @Test
    void baselineMustSurviveTheNextCrash() {
        LogSnapshot baseline = new History(SyncPolicy.everyWrite()).holds(1, 3, 100).holdsCheckpoint(2, 1000).snapshot();
        History next = new History(Optional.of(baseline), SyncPolicy.none()).acked(4, 4, 100).holds(1, 2, 100)
                .holdsCheckpoint(2, 1000);
        List<String> v = next.verify(Fault.POWER_LOSS);
        assertReports(v, "G1: acknowledged decision 3 (id 103 (verified before))");
        assertTrue(v.stream().noneMatch(s -> s.contains("decision 4 ")), () -> String.join("\n", v));
    }

    @Test
    void snapshotProblemsAreReported() {
        h.acked(1, 1, 100).holds(1, 1, 100).problems.add("G6: recover() is not idempotent: x");
        assertReports(h.verify(Fault.PROCESS_KILL), "G6: recover() is not idempotent: x");
    }

    @Test
    void harness_bytesTheParentCannotRegenerateAreReported() {
        h.history.add(CrashEvent.tryOp(Op.DECISION, 1, 101, null, 12345));
        h.history.add(CrashEvent.ack(Op.CHECKPOINT, 1, 7, null, false));
        List<String> v = h.verify(Fault.PROCESS_KILL);
        assertReports(v, "HARNESS: 'TRY DECISION 1 101 12345' reports crc 12345");
        assertReports(v, "HARNESS: event #1 'ACK CHECKPOINT 1 7' acknowledges nothing that was tried");
    }

    @Test
    void countsAcknowledgedRequiredAndLost() {
        History p = new History(SyncPolicy.none()).acked(1, 5, 100).op(Op.SYNC, -1, true).acked(6, 9, 100)
                .holds(1, 6, 100);
        CrashVerifier.Result r = CrashVerifier.verify(SEED, p.history, p.snapshot(), Fault.POWER_LOSS);
        assertPasses(r.violations());
        assertEquals(9, r.acknowledged());
        assertEquals(5, r.required());
        assertEquals(3, r.lostAcknowledged());
        assertEquals(6, r.stored());
    }
}
