package io.atlas.log.tck;

import io.atlas.log.PersistentLogConfig;
import io.atlas.log.spi.Capability;
import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.crash.CrashCampaign;
import io.atlas.log.tck.crash.FullDisk;
import io.atlas.log.tck.crash.LoopMount;
import io.atlas.log.tck.crash.SyncFault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Crash recovery with real faults (guarantees G1, G2, G5, G6 and G8 of the specification), for every
 * {@link Capability#DURABLE} backend. Extend it and name the provider:
 *
 * <pre>{@code
 * class MyBackendCrashRecoveryTckTest extends CrashRecoveryTck {
 *     @Override protected StorageProvider provider() { return new MyProvider(); }
 * }
 * }</pre>
 *
 * <p>A writer runs in a child JVM (same class path; the provider is made from its class name when it
 * has a public no-argument constructor, otherwise found by its name through
 * {@link java.util.ServiceLoader}) and performs a random mix of decisions (16 B to 64 KiB, single,
 * batched and async), checkpoints, compactions, {@code truncateFrom}, configuration and metadata
 * updates under each sync policy. It reports each operation before it starts and after it returns.
 * The kit then crashes it:
 * <ul>
 *   <li>SIGKILL at a random moment, many times over one log; after each kill the log is opened,
 *       verified, and recovered again to check that recovery is idempotent;</li>
 *   <li>SIGKILL of a process in the middle of recovering;</li>
 *   <li>power loss: the writer is frozen (SIGSTOP), so that all it acknowledged came before the cut;
 *       ext4 on a loop device is stopped with {@code xfs_io -x -c shutdown}, the writer killed, and the
 *       file system mounted again; a failing run keeps the log as the cut left it. Plus a control run under {@link io.atlas.log.SyncPolicy#none()} that must
 *       lose acknowledged data, which proves the power cut would catch a missing fsync. These need
 *       root and xfsprogs and are skipped, saying what is missing, elsewhere.</li>
 *   <li>I/O errors (G8): a full tmpfs (needs root), and an fsync/fdatasync failed with EIO by
 *       {@code strace -e inject=...} under a child writer (needs Linux and strace; see
 *       {@link SyncFault}); both must fail-stop and keep every acknowledged decision.</li>
 * </ul>
 *
 * <p>System properties: {@code atlas.crash.kills} (process kills, default 18),
 * {@code atlas.crash.killsDuringRecovery} (default 3), {@code atlas.crash.powerLosses} (default 16; 0
 * also skips the control), {@code atlas.crash.syncFaults} (default 2), {@code atlas.crash.seed}
 * (printed at start; give it back to replay the same choices; kill moments depend on timing too, so a
 * replay is close but not exact). The defaults keep
 * the kit well under four minutes per backend on two cores. After the last test one line counts what
 * ran: {@code crash-recovery[<backend>]: kills=.. killsDuringRecovery=.. powerLosses=.. controlLost=..
 * failures=.. seed=..}. A failure message names the guarantee, the run and the directory kept for
 * inspection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
public abstract class CrashRecoveryTck {

    private static final System.Logger LOG = System.getLogger(CrashRecoveryTck.class.getName());
    private static final long POWER_IMAGE_SIZE = 512L << 20;
    private static final int MAX_REPORTED = 25;
    private static final long FULL_DISK_SIZE = 4L << 20;

    private CrashCampaign campaign;
    private String backend;
    private boolean durable;
    private long seed;
    private int failures;

    /** The provider under test. Called once per test class. */
    protected abstract StorageProvider provider();

    /** Where logs, configuration files, child output and the power-loss disk image go. */
    protected Path scratchDirectory() {
        Path target = Path.of("target");
        Path base = Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
        return base.resolve("crash-recovery");
    }

    /**
     * Flags for the child JVMs: by default the {@code --add-opens} flags of the specification
     * (section 7) and {@code -Dlmdbjava.extract.dir} when this JVM has it.
     */
    protected List<String> childJvmFlags() {
        List<String> flags = new ArrayList<>(List.of("--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"));
        String extract = System.getProperty("lmdbjava.extract.dir");
        if (extract != null) {
            flags.add("-Dlmdbjava.extract.dir=" + extract);
        }
        return flags;
    }

    /** Writer processes SIGKILLed, cycling through the sync policies; property {@code atlas.crash.kills}, default 18. */
    protected int processKills() {
        return Integer.getInteger("atlas.crash.kills", 18);
    }

    /** Processes SIGKILLed while recovering; property {@code atlas.crash.killsDuringRecovery}, default 3. */
    protected int killsDuringRecovery() {
        return Integer.getInteger("atlas.crash.killsDuringRecovery", 3);
    }

    /** Power losses besides the control run; property {@code atlas.crash.powerLosses}, default 16. */
    protected int powerLosses() {
        return Integer.getInteger("atlas.crash.powerLosses", 16);
    }

    /**
     * Runs of the sync-fault check, each with the EIO injected at another fsync/fdatasync; property
     * {@code atlas.crash.syncFaults}, default 2.
     */
    protected int syncFaults() {
        return Integer.getInteger("atlas.crash.syncFaults", 2);
    }

    /** The seed of every random choice; property {@code atlas.crash.seed}, default a fresh one. */
    protected long seed() {
        Long s = Long.getLong("atlas.crash.seed");
        return s != null ? s : System.nanoTime() ^ Long.rotateLeft(ProcessHandle.current().pid(), 32);
    }

    /** Adjusts every log configuration, for backend options; the kit sets the sync policy itself. */
    protected PersistentLogConfig.Builder configure(PersistentLogConfig.Builder builder) {
        return builder;
    }

    @BeforeAll
    public final void startCampaign() throws IOException {
        StorageProvider provider = provider();
        backend = provider.name();
        durable = provider.capabilities().contains(Capability.DURABLE);
        if (!durable) {
            return;
        }
        seed = seed();
        LOG.log(System.Logger.Level.INFO, "crash-recovery[" + backend + "]: seed=" + seed
                + " (rerun with -Datlas.crash.seed=" + seed + ")");
        campaign = new CrashCampaign(new CrashCampaign.Settings(provider, scratchDirectory(), childJvmFlags(), seed,
                this::configure));
    }

    /** Each test, not the class, is skipped, so that reports list every skipped check with its reason. */
    @BeforeEach
    public final void requireDurable() {
        assumeTrue(durable, () -> "crash-recovery kit skipped for backend '" + backend
                + "': it does not declare Capability.DURABLE, so it promises nothing across crashes");
    }

    @AfterAll
    public final void printCounts() {
        if (campaign != null) {
            LOG.log(System.Logger.Level.INFO, "crash-recovery[" + backend + "]: kills=" + campaign.kills()
                    + " killsDuringRecovery=" + campaign.killsDuringRecovery() + " powerLosses=" + campaign.powerLosses()
                    + " controlLost=" + campaign.controlLost() + " failures=" + failures + " seed=" + seed);
        }
    }

    @Test
    public void g1_g2_g5_g6_acknowledgedOperationsSurviveProcessKills() throws Exception {
        int n = processKills();
        assumeTrue(n > 0, "process kills disabled (atlas.crash.kills=0)");
        check(campaign.processKills(n));
    }

    @Test
    public void g6_recoveryKilledMidwayLeavesTheLogRecoverable() throws Exception {
        int n = killsDuringRecovery();
        assumeTrue(n > 0, "kills during recovery disabled (atlas.crash.killsDuringRecovery=0)");
        check(campaign.killsDuringRecovery(n));
    }

    @Test
    public void g1_g2_g5_g6_syncedOperationsSurvivePowerLoss() throws Exception {
        int n = powerLosses();
        assumeTrue(n > 0, "power losses disabled (atlas.crash.powerLosses=0)");
        assumePowerLossPossible();
        try (LoopMount mount = LoopMount.create(campaign.newScratchDirectory("disk"), POWER_IMAGE_SIZE)) {
            check(campaign.powerLosses(n, mount));
        }
    }

    @Test
    public void powerLossControl_unsyncedDecisionsAreLostSoTheHarnessCanCatchAMissingFsync() throws Exception {
        assumeTrue(powerLosses() > 0, "power losses disabled (atlas.crash.powerLosses=0)");
        assumePowerLossPossible();
        try (LoopMount mount = LoopMount.create(campaign.newScratchDirectory("disk"), POWER_IMAGE_SIZE)) {
            check(campaign.powerLossControl(mount));
        }
    }

    @Test
    public void g8_fullDiskIsFailStopAndKeepsEveryAcknowledgedDecision() throws Exception {
        Optional<String> missing = FullDisk.unavailableReason();
        assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
        try (FullDisk disk = FullDisk.mount(campaign.newScratchDirectory("full-disk"), FULL_DISK_SIZE)) {
            List<String> violations = disk.check(provider(), b -> configure(b.maxSegmentSize(256 << 10)), seed,
                    FULL_DISK_SIZE * 8);
            if (!violations.isEmpty()) {
                failures++;
                fail("disk-full check failed (seed " + seed + "):\n" + String.join("\n", violations));
            }
        }
    }

    /**
     * A store whose fsync/fdatasync fails with EIO (injected with strace into a child writer) throws
     * PersistentLogException, nothing is acknowledged after it, and the log reopens with every
     * acknowledged decision. See {@link SyncFault}.
     */
    @Test
    public void g8_fsyncErrorIsFailStop() throws Exception {
        int n = syncFaults();
        assumeTrue(n > 0, "sync faults disabled (atlas.crash.syncFaults=0)");
        Optional<String> missing = SyncFault.unavailableReason();
        assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
        check(new SyncFault(provider(), campaign.newScratchDirectory("sync-fault"), childJvmFlags(), this::configure)
                .check(seed, n));
    }

    private static void assumePowerLossPossible() {
        Optional<String> missing = LoopMount.unavailableReason();
        assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
    }

    private void check(CrashCampaign.Report report) {
        LOG.log(System.Logger.Level.INFO, "crash-recovery[" + backend + "]: " + report.summary());
        if (!report.passed()) {
            failures++;
            List<String> v = report.violations();
            StringBuilder msg = new StringBuilder("crash-recovery[" + backend + "] failed (seed " + seed + "):");
            for (int i = 0; i < Math.min(MAX_REPORTED, v.size() - 1); i++) {
                msg.append("\n").append(v.get(i));
            }
            if (v.size() - 1 > MAX_REPORTED) {
                msg.append("\n... and ").append(v.size() - 1 - MAX_REPORTED).append(" more");
            }
            msg.append("\n").append(v.get(v.size() - 1));
            fail(msg.toString());
        }
    }
}
