package io.atlas.log.tck.crash;

import io.atlas.log.SyncPolicy;
import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The crash kit run against deliberately broken backends: it must fail them, for the guarantee they
 * break, and must pass a backend whose only flaw its fault cannot see.
 */
class BrokenBackendCrashTest {

    private static long seed;

    @TempDir
    Path scratch;

    @BeforeAll
    static void seed() {
        Long s = Long.getLong("atlas.crash.seed");
        seed = s != null ? s : System.nanoTime();
        System.out.println("BrokenBackendCrashTest seed=" + seed + " (rerun with -Datlas.crash.seed=" + seed + ")");
    }

    private CrashCampaign campaign(StorageProvider provider) throws IOException {
        return new CrashCampaign(new CrashCampaign.Settings(provider, scratch, List.of(), seed, b -> b));
    }

    @Test
    void processKillsPassABackendThatWritesBeforeItAcknowledges() throws Exception {
        CrashCampaign c = campaign(new NoFsyncStorageProvider());
        CrashCampaign.Report r = c.processKills(3);
        System.out.println("no-fsync backend, process kills: " + r.summary());
        assertTrue(r.passed(), () -> "a backend without fsync loses nothing to SIGKILL, yet the kit failed it:\n"
                + String.join("\n", r.violations()));
        assertTrue(c.kills() == 3, () -> "kills counted: " + c.kills());
    }

    @Test
    void g1_processKillCatchesAcknowledgedDecisionsThatWereNeverWritten() throws Exception {
        CrashCampaign.Report r = campaign(new BufferedAppendsStorageProvider())
                .processKills(1, List.of(SyncPolicy.none()), Workload.Mix.DECISIONS);
        System.out.println("buffered-appends backend, process kill: " + r.violations().size() + " violations, first: "
                + r.violations().get(0));
        assertFalse(r.passed(), "a backend that keeps acknowledged appends in memory must fail the process-kill run");
        assertTrue(r.violations().stream().anyMatch(v -> v.contains("G1: acknowledged decision")),
                () -> "expected a G1 violation, got:\n" + String.join("\n", r.violations()));
    }

    @Test
    void g1_powerLossCatchesAMissingFsync() throws Exception {
        Optional<String> missing = LoopMount.unavailableReason();
        assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
        CrashCampaign c = campaign(new NoFsyncStorageProvider());
        try (LoopMount mount = LoopMount.create(c.newScratchDirectory("disk"), 256L << 20)) {
            CrashCampaign.Report r = c.powerLosses(1, mount, List.of(SyncPolicy.everyWrite()), Workload.Mix.DECISIONS);
            System.out.println("no-fsync backend, power loss: " + r.violations().size() + " violations, first: "
                    + r.violations().get(0));
            assertFalse(r.passed(), "a backend that never fsyncs must fail the power-loss run under every-write");
            assertTrue(r.violations().stream().anyMatch(v -> v.contains("G1: acknowledged decision")),
                    () -> "expected a G1 violation, got:\n" + String.join("\n", r.violations()));
        }
    }

    @Test
    void powerLossControlPassesOnlyWhenUnsyncedDecisionsAreLost() throws Exception {
        Optional<String> missing = LoopMount.unavailableReason();
        assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
        CrashCampaign c = campaign(new NoFsyncStorageProvider());
        try (LoopMount mount = LoopMount.create(c.newScratchDirectory("disk"), 256L << 20)) {
            CrashCampaign.Report r = c.powerLossControl(mount);
            System.out.println("no-fsync backend, control: " + r.summary());
            assertTrue(r.passed(), () -> String.join("\n", r.violations()));
            assertTrue(c.controlLost() > 0, () -> "control lost " + c.controlLost());
        }
    }

    @Test
    void g8_fullDiskCatchesABackendThatSwallowsWriteErrors() throws Exception {
        Optional<String> missing = FullDisk.unavailableReason();
        assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
        Path mountPoint = Files.createTempDirectory("atlas-full-disk-selftest");
        try (FullDisk disk = FullDisk.mount(mountPoint, 2L << 20)) {
            List<String> violations = disk.check(new SwallowsWriteErrorsStorageProvider(), b -> b, 7, 16L << 20);
            assertTrue(violations.stream().anyMatch(v -> v.contains("G8")),
                    "the disk-full check must report G8 for a backend that swallows write errors; got " + violations);
        } finally {
            Files.deleteIfExists(mountPoint);
        }
    }
}
