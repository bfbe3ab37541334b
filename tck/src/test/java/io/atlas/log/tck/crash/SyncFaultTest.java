package io.atlas.log.tck.crash;

import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The sync-fault check (EIO injected into fsync/fdatasync with strace) against test backends: it
 * must fail one that swallows the failed sync, for G8; pass one that reports it; and fail as a
 * harness error when the backend never syncs, because then the injection proved nothing.
 */
class SyncFaultTest {

    private static long seed;

    @TempDir
    Path scratch;

    @BeforeAll
    static void seed() {
        Long s = Long.getLong("atlas.crash.seed");
        seed = s != null ? s : System.nanoTime();
        System.out.println("SyncFaultTest seed=" + seed + " (rerun with -Datlas.crash.seed=" + seed + ")");
    }

    @BeforeEach
    void requireStrace() {
        Optional<String> missing = SyncFault.unavailableReason();
        assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
    }

    private CrashCampaign.Report check(StorageProvider provider) throws Exception {
        CrashCampaign.Report r = new SyncFault(provider, scratch, List.of(), b -> b).check(seed, 1);
        System.out.println(provider.name() + ": " + r.summary() + (r.passed() ? "" : "\n" + String.join("\n", r.violations())));
        return r;
    }

    @Test
    void g8_syncFaultCatchesABackendThatSwallowsSyncErrors() throws Exception {
        CrashCampaign.Report r = check(new SwallowsSyncErrorsStorageProvider());
        assertFalse(r.passed(), "a backend that ignores a failed fdatasync must fail the sync-fault check");
        assertTrue(r.violations().stream().anyMatch(v -> v.contains("G8: ") && v.contains("acknowledged after it")),
                () -> "expected a G8 violation for acknowledgements after the failed sync, got:\n"
                        + String.join("\n", r.violations()));
    }

    @Test
    void g8_syncFaultPassesABackendThatReportsSyncErrors() throws Exception {
        CrashCampaign.Report r = check(new ReportsSyncErrorsStorageProvider());
        assertTrue(r.passed(), () -> "a backend that reports its failed fdatasync fail-stops, yet the check failed it:\n"
                + String.join("\n", r.violations()));
        assertTrue(r.summary().contains("fail-stop"), () -> "expected the injected EIO to stop the log: " + r.summary());
    }

    @Test
    void syncFaultIsAHarnessErrorWhenTheBackendNeverSyncs() throws Exception {
        CrashCampaign.Report r = check(new NoFsyncStorageProvider());
        assertFalse(r.passed(), "an injection that never reached the backend proves nothing and must fail the check");
        assertTrue(r.violations().stream().anyMatch(v -> v.contains("harness: the injected EIO never reached the backend")),
                () -> "expected the harness error, got:\n" + String.join("\n", r.violations()));
    }
}
