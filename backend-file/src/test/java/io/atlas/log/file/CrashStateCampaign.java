package io.atlas.log.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Runs {@link CrashStateWorkload}s on {@link SimulatedDisk}s and, at every operation that changes
 * the disk, builds crash states of several {@link CrashState.Kind kinds} and checks each one with a
 * {@link CrashStateChecker}; states already checked at the same point are skipped. For every state
 * that opens, one crash during its recovery is checked too. Counts and failure reports are kept for
 * the test to print and assert.
 *
 * <p>Workloads alternate segment sizes (4 and 8 KiB) and preallocation (on, off), so that appends
 * both overwrite zeros and grow files. Everything follows from the seed.
 */
final class CrashStateCampaign {

    static final Path DIR = Path.of("/atlas-simulated-disk/log");
    private static final CrashState.Kind[] POWER_LOSS_KINDS = {CrashState.Kind.PREFIX, CrashState.Kind.SUBSET,
            CrashState.Kind.ZEROS, CrashState.Kind.GARBAGE};
    private static final int REPORTS_KEPT = 5;
    private static final int OPS_SHOWN = 12;

    private final long seed;
    private final SimulatedDisk.Fault fault;
    private final int statesPerPoint;
    private final SplittableRandom master;

    private int workloads;
    private int crashPoints;
    private int states;
    private int kills;
    private int powerLosses;
    private int recoveryStates;
    private int refused;
    private int reorderedTails;
    private int failedStates;
    private final Map<String, Integer> failuresByGuarantee = new TreeMap<>();
    private final List<String> reports = new ArrayList<>();
    private String firstRefusal;
    private Throwable harnessError;

    CrashStateCampaign(long seed, SimulatedDisk.Fault fault, int statesPerPoint) {
        if (statesPerPoint < 2) {
            throw new IllegalArgumentException("crash states per point must be at least 2 (durable-only and kill), got "
                    + statesPerPoint);
        }
        this.seed = seed;
        this.fault = fault;
        this.statesPerPoint = statesPerPoint;
        this.master = new SplittableRandom(seed);
    }

    /** Runs one workload of {@code calls} storage calls, checking crash states at each of its operations. */
    void runWorkload(int calls) {
        int w = workloads++;
        int segmentSize = w % 2 == 0 ? 4096 : 8192;
        boolean preallocate = w / 2 % 2 == 0;
        SplittableRandom workloadRnd = master.split();
        SplittableRandom stateRnd = master.split();
        SimulatedDisk disk = new SimulatedDisk(DIR, fault);
        CrashStateWorkload workload = new CrashStateWorkload(DIR, segmentSize, preallocate, disk, workloadRnd);
        CrashStateChecker checker = new CrashStateChecker(DIR, segmentSize, preallocate);
        String where = "workload " + w + " (segment " + segmentSize + " bytes, preallocate " + preallocate + ")";
        disk.listener(op -> {
            if (harnessError != null) {
                return;
            }
            try {
                crashPoint(disk, op, workload.model(), checker, stateRnd, where);
            } catch (RuntimeException | AssertionError e) {
                harnessError = e;
            }
        });
        try {
            workload.run(calls);
        } catch (IOException e) {
            throw new UncheckedIOException("crash-states[file]: the workload itself failed in " + where + ", seed "
                    + seed + ", " + workload.model().position(), e);
        }
        if (harnessError != null) {
            throw new AssertionError("crash-states[file]: the harness failed in " + where + ", seed " + seed,
                    harnessError);
        }
    }

    private void crashPoint(SimulatedDisk disk, SimulatedDisk.Op op, CrashStateModel model, CrashStateChecker checker,
            SplittableRandom rnd, String where) {
        crashPoints++;
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < statesPerPoint; i++) {
            CrashState.Kind kind = i == 0 ? CrashState.Kind.DURABLE_ONLY : i == 1 ? CrashState.Kind.KILL
                    : POWER_LOSS_KINDS[(i - 2 + crashPoints) % POWER_LOSS_KINDS.length];
            CrashState state = CrashState.of(disk, DIR, kind, rnd);
            if (seen.add(state.fingerprint())) {
                check(state, model, checker, rnd, disk, op, where, true);
            }
        }
    }

    private void check(CrashState state, CrashStateModel model, CrashStateChecker checker, SplittableRandom rnd,
            SimulatedDisk disk, SimulatedDisk.Op op, String where, boolean sampleRecovery) {
        CrashStateChecker.Verdict v = checker.check(state, model, sampleRecovery, rnd);
        states++;
        if (state.kind().isPowerLoss()) {
            powerLosses++;
        } else {
            kills++;
        }
        if (state.kind() == CrashState.Kind.RECOVERY) {
            recoveryStates++;
        }
        if (!state.holeFiles().isEmpty() && v.failures().isEmpty()) {
            reorderedTails++;
        }
        if (v.refusal() != null) {
            if (refused++ == 0) {
                firstRefusal = "seed " + seed + ", " + where + ", crash point after op " + op + ", " + model.position()
                        + "\n  state: " + state.description() + "\n  refused: " + v.refusal();
            }
        }
        if (!v.failures().isEmpty()) {
            failedStates++;
            Set<String> named = new HashSet<>();
            for (CrashStateModel.Failure f : v.failures()) {
                if (named.add(f.guarantee())) {
                    failuresByGuarantee.merge(f.guarantee(), 1, Integer::sum);
                }
            }
            if (reports.size() < REPORTS_KEPT) {
                reports.add(report(state, v.failures(), model, disk, op, where));
            }
        }
        if (v.recovery() != null) {
            check(v.recovery().duringRecoveryOf(state), model, checker, rnd, disk, op, where, false);
        }
    }

    private String report(CrashState state, List<CrashStateModel.Failure> failures, CrashStateModel model,
            SimulatedDisk disk, SimulatedDisk.Op op, String where) {
        StringBuilder b = new StringBuilder();
        b.append("crash-states[file]: ").append(failures.get(0).guarantee()).append(" violated; seed ").append(seed)
                .append(" (-Datlas.crashstates.seed=").append(seed).append("), ").append(where)
                .append(", crash point after op ").append(op).append(", ").append(model.position())
                .append("\n  state: ").append(state.description());
        for (CrashStateModel.Failure f : failures) {
            b.append("\n  ").append(f);
        }
        b.append("\n  operations up to the crash:");
        List<SimulatedDisk.Op> ops = disk.ops();
        for (int i = Math.max(0, op.index() - OPS_SHOWN); i < op.index(); i++) {
            b.append("\n    ").append(ops.get(i));
        }
        return b.toString();
    }

    int workloads() {
        return workloads;
    }

    int crashPoints() {
        return crashPoints;
    }

    /** States taken at the workload's crash points, not counting crashes during recovery. */
    int primaryStates() {
        return states - recoveryStates;
    }

    int failedStates() {
        return failedStates;
    }

    /** The first state open refused as corrupt (always also a failure), or null. */
    String firstRefusal() {
        return firstRefusal;
    }

    /** States refused as corrupt; each is a G3 failure as well. */
    int refused() {
        return refused;
    }

    /** States that left an intact record behind a lost one in a segment (a hole), opened and passed. */
    int reorderedTails() {
        return reorderedTails;
    }

    /** Failed states per guarantee named (a state failing two guarantees counts for both). */
    Map<String, Integer> failuresByGuarantee() {
        return failuresByGuarantee;
    }

    /** The first few failures, each with seed, crash point, state and the operations before it. */
    String reports() {
        return String.join("\n", reports);
    }

    String summary() {
        return "crash-states[file]: workloads=" + workloads + " crashPoints=" + crashPoints + " crashStates=" + states
                + " (kills=" + kills + " powerLosses=" + powerLosses + ", of which crashes during recovery="
                + recoveryStates + ") refusedAsCorrupt=" + refused + " reorderedTailsOpened=" + reorderedTails
                + " failures=" + failedStates
                + (failuresByGuarantee.isEmpty() ? "" : " " + failuresByGuarantee) + " seed=" + seed
                + (fault == SimulatedDisk.Fault.NONE ? "" : " disk=" + fault);
    }
}
