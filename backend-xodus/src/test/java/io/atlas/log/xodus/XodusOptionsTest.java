package io.atlas.log.xodus;

import io.atlas.log.LogLockedException;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.core.PersistentLogs;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import jetbrains.exodus.env.EnvironmentConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XodusOptionsTest {

    @TempDir
    Path tmp;

    private EnvironmentConfig parse(Map<String, String> options) {
        return XodusOptions.parse(new StorageConfig(tmp, 64L << 20, options)).environmentConfig();
    }

    private static IllegalArgumentException refused(Map<String, String> options, Path dir) {
        return assertThrows(IllegalArgumentException.class,
                () -> new XodusStorageProvider().open(new StorageConfig(dir, 64L << 20, options)).close());
    }

    @Test
    void defaultsLeaveCommitsUnforcedAndTuneTheCollector() {
        EnvironmentConfig ec = parse(Map.of());
        assertFalse(ec.getLogDurableWrite(), "commits are not forced; sync() forces the log");
        assertEquals(75, ec.getGcMinUtilization());
        assertEquals(8192, ec.getLogFileSize());
        assertEquals(10, ec.getMemoryUsagePercentage());
        assertFalse(ec.isManagementEnabled());
        assertEquals(XodusOptions.MAX_CHUNK_SIZE, XodusOptions.parse(new StorageConfig(tmp, 1 << 20, Map.of())).chunkSize());
    }

    @Test
    void curatedOptionsSetTheirXodusSettings() {
        EnvironmentConfig ec = parse(Map.of(
                XodusOptions.LOG_FILE_SIZE, "1MiB",
                XodusOptions.MEMORY_USAGE_PERCENTAGE, "20",
                XodusOptions.GC_ENABLED, "false",
                XodusOptions.GC_MIN_UTILIZATION, "80",
                XodusOptions.GC_FILE_MIN_AGE, "3",
                XodusOptions.GC_START_IN_MS, "0",
                XodusOptions.GC_RUN_PERIOD_MS, "2000",
                XodusOptions.GC_FILES_DELETION_DELAY_MS, "0"));
        assertEquals(1024, ec.getLogFileSize());
        assertEquals(20, ec.getMemoryUsagePercentage());
        assertFalse(ec.isGcEnabled());
        assertEquals(80, ec.getGcMinUtilization());
        assertEquals(3, ec.getGcFileMinAge());
        assertEquals(0, ec.getGcStartIn());
        assertEquals(2000, ec.getGcRunPeriod());
        assertEquals(0, ec.getGcFilesDeletionDelay());
    }

    @Test
    void rawXodusSettingsPassThroughWithTheirTypes() throws IOException {
        Map<String, String> options = Map.of(
                "exodus.log.cache.shared", "false",
                "exodus.gc.transactionTimeout", "700",
                "exodus.log.syncPeriod", "20000",
                "exodus.log.lockID", "replica-3");
        EnvironmentConfig ec = parse(options);
        assertFalse(ec.isLogCacheShared());
        assertEquals(700, ec.getGcTransactionTimeout());
        assertEquals(20000L, ec.getLogSyncPeriod());
        assertEquals("replica-3", ec.getLogLockId());
        try (LogStorage s = new XodusStorageProvider().open(new StorageConfig(tmp.resolve("log"), 64L << 20, options))) {
            EnvironmentConfig used = ((XodusLogStorage) s).environment().getEnvironmentConfig();
            assertEquals(20000L, used.getLogSyncPeriod(), "the open environment must use the option");
            assertFalse(used.getLogDurableWrite());
        }
    }

    @Test
    void xodusSystemPropertiesAreIgnored() {
        String key = EnvironmentConfig.GC_MIN_UTILIZATION;
        String before = System.getProperty(key);
        System.setProperty(key, "33");
        try {
            assertEquals(75, parse(Map.of()).getGcMinUtilization(), "only the log's options configure Xodus");
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    @Test
    void g9_unknownOptionIsRefusedListingTheKnownOnes() {
        Path dir = tmp.resolve("log");
        for (String key : new String[] {"log-file-sise", "exodus.log.noSuchSetting"}) {
            IllegalArgumentException e = refused(Map.of(key, "1"), dir);
            assertTrue(e.getMessage().contains("'" + key + "'") && e.getMessage().contains("atlas.log.xodus." + key)
                    && e.getMessage().contains(XodusOptions.LOG_FILE_SIZE) && e.getMessage().contains("exodus.gc.minUtilization"),
                    e.getMessage());
        }
    }

    @Test
    void g9_durableWriteCannotBeOverriddenByAnOption() {
        IllegalArgumentException e = refused(Map.of(EnvironmentConfig.LOG_DURABLE_WRITE, "true"), tmp.resolve("log"));
        assertTrue(e.getMessage().contains(EnvironmentConfig.LOG_DURABLE_WRITE) && e.getMessage().contains("atlas.log.sync"),
                e.getMessage());
        for (String key : new String[] {EnvironmentConfig.ENV_IS_READONLY, EnvironmentConfig.LOG_CLEAR_INVALID,
                EnvironmentConfig.CIPHER_KEY, EnvironmentConfig.LOG_DATA_READER_WRITER_PROVIDER}) {
            IllegalArgumentException r = refused(Map.of(key, "true"), tmp.resolve("log"));
            assertTrue(r.getMessage().contains(key) && r.getMessage().contains("cannot be set"), r.getMessage());
        }
    }

    @Test
    void g9_badValuesAreRefusedNamingTheOption() {
        Path dir = tmp.resolve("log");
        Map<String, String> bad = Map.of(
                XodusOptions.LOG_FILE_SIZE, "100KiB",
                XodusOptions.GC_MIN_UTILIZATION, "95",
                XodusOptions.GC_ENABLED, "yes",
                "exodus.gc.runPeriod", "soon",
                "exodus.log.cache.shared", "1",
                EnvironmentConfig.LOG_FILE_SIZE, "100");
        bad.forEach((key, value) -> {
            IllegalArgumentException e = refused(Map.of(key, value), dir);
            assertTrue(e.getMessage().contains(key), key + "=" + value + ": " + e.getMessage());
        });
        IllegalArgumentException both = refused(Map.of(XodusOptions.LOG_FILE_SIZE, "1MiB", EnvironmentConfig.LOG_FILE_SIZE, "1024"), dir);
        assertTrue(both.getMessage().contains("give only one"), both.getMessage());
    }

    @Test
    void optionsReachTheBackendFromPropertiesThroughCore() {
        Path dir = tmp.resolve("log");
        Properties p = new Properties();
        p.setProperty("atlas.log.dir", dir.toString());
        p.setProperty("atlas.log.backend", "xodus");
        p.setProperty("atlas.log.xodus.log-file-size", "512KiB");
        p.setProperty("atlas.log.xodus.exodus.log.cache.shared", "false");
        try (PersistentLog<byte[], byte[], byte[]> log = PersistentLogs.openBytes(PersistentLogConfig.fromProperties(p))) {
            log.storeMetadata("view", new byte[] {1});
        }
        p.setProperty("atlas.log.xodus.exodus.log.durableWrite", "true");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PersistentLogs.openBytes(PersistentLogConfig.fromProperties(p)).close());
        assertTrue(e.getMessage().contains("exodus.log.durableWrite"), e.getMessage());
    }

    @Test
    void g7_secondOpenThroughCoreIsLogLocked() {
        PersistentLogConfig config = PersistentLogConfig.builder(tmp.resolve("log")).backend("xodus").build();
        try (PersistentLog<byte[], byte[], byte[]> log = PersistentLogs.openBytes(config)) {
            log.storeMetadata("view", new byte[] {1});
            assertThrows(LogLockedException.class, () -> PersistentLogs.openBytes(config).close());
            assertEquals(1, log.retrieveMetadata("view").orElseThrow()[0], "the first log keeps working");
        }
    }
}
