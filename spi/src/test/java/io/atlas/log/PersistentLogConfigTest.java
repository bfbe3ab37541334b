package io.atlas.log;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The user-facing configuration and value types of the spi module. */
class PersistentLogConfigTest {

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    private static PersistentLogConfig parse(String... keyValues) {
        return PersistentLogConfig.fromProperties(props(keyValues));
    }

    private static IllegalArgumentException refused(String... keyValues) {
        return assertThrows(IllegalArgumentException.class, () -> parse(keyValues));
    }

    private static void assertContains(String expected, String actual) {
        assertTrue(actual.contains(expected), "'" + actual + "' lacks '" + expected + "'");
    }

    // ---------------------------------------------------------------- defaults and every key

    @Test
    void defaultsMatchTheSpecification() {
        PersistentLogConfig c = parse("atlas.log.dir", "/var/log/replica");
        assertEquals(Path.of("/var/log/replica"), c.logDir());
        assertEquals(Optional.empty(), c.backend());
        assertEquals(SyncPolicy.everyWrite(), c.syncPolicy());
        assertEquals(CompressionOptions.none(), c.compression());
        assertEquals(512, c.compression().minSizeBytes());
        assertEquals(64L << 20, c.maxSegmentSize());
        assertEquals(4096, c.cacheSize());
        assertEquals(CompactionMode.MANUAL, c.compaction());
        assertEquals(0, c.compactionRetain());
        assertEquals(2, c.checkpointsRetain());
        assertEquals(Map.of(), c.options());
        assertEquals(c, PersistentLogConfig.builder(Path.of("/var/log/replica")).build());
    }

    @Test
    void everyKeyIsParsed() {
        PersistentLogConfig c = parse(
                "atlas.log.dir", "/data/log",
                "atlas.log.backend", " LMDB ",
                "atlas.log.sync", "periodic:5ms",
                "atlas.log.compression", "Zstd",
                "atlas.log.compression.min-size", "1KiB",
                "atlas.log.max-segment-size", "128MiB",
                "atlas.log.cache-size", "0",
                "atlas.log.compaction", "on-checkpoint",
                "atlas.log.compaction.retain", "1000",
                "atlas.log.checkpoints.retain", "3",
                "atlas.log.lmdb.map-size", " 8GiB ",
                "atlas.log.file.preallocate", "true",
                "other.setting", "ignored");
        assertEquals(Path.of("/data/log"), c.logDir());
        assertEquals(Optional.of("lmdb"), c.backend());
        assertEquals(SyncPolicy.periodic(Duration.ofMillis(5)), c.syncPolicy());
        assertEquals(new CompressionOptions(Compression.ZSTD, 1024), c.compression());
        assertEquals(128L << 20, c.maxSegmentSize());
        assertEquals(0, c.cacheSize());
        assertEquals(CompactionMode.ON_CHECKPOINT, c.compaction());
        assertEquals(1000, c.compactionRetain());
        assertEquals(3, c.checkpointsRetain());
        assertEquals(Map.of("lmdb.map-size", "8GiB", "file.preallocate", "true"), c.options());
    }

    @ParameterizedTest
    @CsvSource({
            "every-write, every-write",
            "EVERY-WRITE, every-write",
            "none, none",
            "periodic:500us, periodic:500us",
            "periodic:1s, periodic:1s",
            "periodic:2m, periodic:120s",
            "periodic:1000ms, periodic:1s",
            "periodic:1h, periodic:3600s",
            "periodic:7ns, periodic:7ns"})
    void syncValuesParse(String value, String normalized) {
        assertEquals(normalized, parse("atlas.log.dir", "/d", "atlas.log.sync", value).syncPolicy().toString());
    }

    @ParameterizedTest
    @CsvSource({"4096, 4096", "4KiB, 4096", "64MiB, 67108864", "1GiB, 1073741824", "5MB, 5000000", "8 KiB, 8192"})
    void sizesParse(String value, long bytes) {
        assertEquals(bytes, parse("atlas.log.dir", "/d", "atlas.log.max-segment-size", value).maxSegmentSize());
    }

    @Test
    void everyCompressionValueParses() {
        for (Compression c : Compression.values()) {
            assertEquals(c, parse("atlas.log.dir", "/d", "atlas.log.compression", c.propertyValue()).compression().algorithm());
        }
    }

    // ---------------------------------------------------------------- refusals

    @Test
    void missingDirIsRefused() {
        assertEquals("missing required key atlas.log.dir: the log directory", refused().getMessage());
        assertEquals("missing required key atlas.log.dir: the log directory", refused("atlas.log.dir", "  ").getMessage());
        assertThrows(IllegalArgumentException.class, () -> PersistentLogConfig.fromProperties(null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"atlas.log.syncpolicy", "atlas.log.sync.interval", "atlas.log.compression.level",
            "atlas.log.cache", "atlas.log.checkpoints", "atlas.log.dir.x", "atlas.log.lmdb", "atlas.log.Bad Backend.x"})
    void unknownKeysAreRefusedNamingTheKey(String key) {
        IllegalArgumentException e = refused("atlas.log.dir", "/d", key, "1");
        assertTrue(e.getMessage().startsWith("unknown configuration key " + key + "; known keys: atlas.log.dir, "), e.getMessage());
        assertContains("atlas.log.<backend>.<option>", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "atlas.log.backend|Not A Name|expected a backend name of 1-32 characters a-z, 0-9 and '-'",
            "atlas.log.sync|always|expected every-write, periodic:<duration> (such as periodic:5ms or periodic:1s) or none",
            "atlas.log.sync|periodic:|expected a duration such as 500us, 5ms, 1s or 2m",
            "atlas.log.sync|periodic:5 days|expected a duration such as 500us, 5ms, 1s or 2m",
            "atlas.log.sync|periodic:0ms|the periodic interval must be positive",
            "atlas.log.compression|brotli|expected none, lz4, snappy, deflate, gzip, zstd or xz",
            "atlas.log.compression.min-size|-1|expected a size such as 4096, 512KiB, 64MiB or 1GiB",
            "atlas.log.compression.min-size|4GiB|expected 0 to 2147483647 bytes",
            "atlas.log.max-segment-size|1KiB|expected 4096 to 1073741824 bytes",
            "atlas.log.max-segment-size|2GiB|expected 4096 to 1073741824 bytes",
            "atlas.log.max-segment-size|lots|expected a size such as 4096, 512KiB, 64MiB or 1GiB",
            "atlas.log.max-segment-size|99999999999999999999TiB|is too large",
            "atlas.log.cache-size|-5|expected a whole number from 0 to 2147483647",
            "atlas.log.cache-size|many|expected a whole number from 0 to 2147483647",
            "atlas.log.compaction|auto|expected manual or on-checkpoint",
            "atlas.log.compaction.retain|-1|expected a whole number from 0 to 9223372036854775807",
            "atlas.log.checkpoints.retain|0|expected a whole number from 1 to 2147483647"})
    void badValuesAreRefusedNamingKeyAndAcceptedValues(String key, String value, String expected) {
        IllegalArgumentException e = refused("atlas.log.dir", "/d", key, value);
        assertTrue(e.getMessage().startsWith("invalid value for " + key), e.getMessage());
        assertContains(expected, e.getMessage());
    }

    @Test
    void builderRefusesBadValuesWithMessages() {
        PersistentLogConfig.Builder b = PersistentLogConfig.builder(Path.of("/d"));
        assertEquals("log directory must not be null",
                assertThrows(IllegalArgumentException.class, () -> PersistentLogConfig.builder(null)).getMessage());
        assertContains("backend name must not be null", assertThrows(IllegalArgumentException.class, () -> b.backend(null)).getMessage());
        assertContains("expected a backend name", assertThrows(IllegalArgumentException.class, () -> b.backend("LMDB")).getMessage());
        assertContains("expected 4096 to 1073741824 bytes",
                assertThrows(IllegalArgumentException.class, () -> b.maxSegmentSize(100)).getMessage());
        assertContains("sync policy must not be null", assertThrows(IllegalArgumentException.class, () -> b.syncPolicy(null)).getMessage());
        assertContains("compression must not be null",
                assertThrows(IllegalArgumentException.class, () -> b.compression((CompressionOptions) null)).getMessage());
        assertContains("compression algorithm must not be null",
                assertThrows(IllegalArgumentException.class, () -> b.compression((Compression) null)).getMessage());
        assertContains("cacheSize must be >= 0", assertThrows(IllegalArgumentException.class, () -> b.cacheSize(-1)).getMessage());
        assertContains("compaction mode must not be null", assertThrows(IllegalArgumentException.class, () -> b.compaction(null)).getMessage());
        assertContains("compactionRetain must be >= 0", assertThrows(IllegalArgumentException.class, () -> b.compactionRetain(-1)).getMessage());
        assertContains("checkpointsRetain must be >= 1", assertThrows(IllegalArgumentException.class, () -> b.checkpointsRetain(0)).getMessage());
        assertContains("expected <backend>.<option>", assertThrows(IllegalArgumentException.class, () -> b.option("nodot", "v")).getMessage());
        assertContains("expected <backend>.<option>", assertThrows(IllegalArgumentException.class, () -> b.option(null, "v")).getMessage());
        assertContains("'sync' is a core setting, not a backend",
                assertThrows(IllegalArgumentException.class, () -> b.option("sync.x", "v")).getMessage());
        assertContains("value of backend option 'lmdb.x' must not be null",
                assertThrows(IllegalArgumentException.class, () -> b.option("lmdb.x", null)).getMessage());
        assertContains("options must not be null", assertThrows(IllegalArgumentException.class, () -> b.options(null)).getMessage());
        assertContains("min-size must be >= 0",
                assertThrows(IllegalArgumentException.class, () -> new CompressionOptions(Compression.LZ4, -1)).getMessage());
        for (Duration d : new Duration[]{null, Duration.ZERO, Duration.ofMillis(-1)}) {
            assertContains("periodic sync interval must be a positive duration",
                    assertThrows(IllegalArgumentException.class, () -> SyncPolicy.periodic(d)).getMessage());
        }
    }

    // ---------------------------------------------------------------- round trips and files

    @Test
    void toPropertiesRoundTrips() {
        List<PersistentLogConfig> configs = List.of(
                PersistentLogConfig.builder(Path.of("/d")).build(),
                PersistentLogConfig.builder(Path.of("/data/x")).backend("xodus").syncPolicy(SyncPolicy.periodic(Duration.ofMillis(250)))
                        .compression(new CompressionOptions(Compression.XZ, 0)).maxSegmentSize(4096).cacheSize(0)
                        .compaction(CompactionMode.ON_CHECKPOINT).compactionRetain(Long.MAX_VALUE).checkpointsRetain(9)
                        .option("xodus.cache-percent", "20").option("lmdb.map-size", "1GiB").build(),
                PersistentLogConfig.builder(Path.of("/d")).syncPolicy(SyncPolicy.none())
                        .syncPolicy(SyncPolicy.periodic(Duration.ofNanos(1500))).build());
        for (PersistentLogConfig c : configs) {
            PersistentLogConfig back = PersistentLogConfig.fromProperties(c.toProperties());
            assertEquals(c, back, c.toString());
            assertEquals(c.hashCode(), back.hashCode());
            assertEquals(c, c.toBuilder().build());
        }
        assertNotEquals(configs.get(0), configs.get(1));
        assertTrue(configs.get(1).toString().startsWith("PersistentLogConfig{atlas.log.backend=xodus"), configs.get(1).toString());
    }

    @Test
    void loadResolvesARelativeDirAgainstTheFilesDirectory(@TempDir Path tmp) throws IOException {
        Path conf = Files.createDirectories(tmp.resolve("etc")).resolve("log.properties");
        Files.writeString(conf, "# replica log\natlas.log.dir=data/log\natlas.log.sync=none\n", StandardCharsets.UTF_8);
        PersistentLogConfig c = PersistentLogConfig.load(conf);
        assertEquals(tmp.resolve("etc").resolve("data/log").toAbsolutePath(), c.logDir());
        assertEquals(SyncPolicy.none(), c.syncPolicy());

        Files.writeString(conf, "atlas.log.dir=" + tmp.resolve("abs").toAbsolutePath().toString().replace("\\", "\\\\") + "\n");
        assertEquals(tmp.resolve("abs").toAbsolutePath(), PersistentLogConfig.load(conf).logDir());

        Files.writeString(conf, "atlas.log.dir=x\natlas.log.cache-size=lots\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PersistentLogConfig.load(conf));
        assertTrue(e.getMessage().startsWith(conf + ": invalid value for atlas.log.cache-size"), e.getMessage());

        UncheckedIOException missing = assertThrows(UncheckedIOException.class, () -> PersistentLogConfig.load(tmp.resolve("absent")));
        assertContains("cannot read log configuration file " + tmp.resolve("absent"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PersistentLogConfig.load(null));
    }

    // ---------------------------------------------------------------- value types

    @Nested
    class ValueTypes {

        @Test
        void seqNoIsNonNegativeAndOrdered() {
            assertEquals("sequence number must be >= 0, got -1",
                    assertThrows(IllegalArgumentException.class, () -> SeqNo.of(-1)).getMessage());
            assertEquals(SeqNo.of(1), SeqNo.ZERO.next());
            assertTrue(SeqNo.of(2).compareTo(SeqNo.of(10)) < 0);
            assertEquals("42", SeqNo.of(42).toString());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SeqNo.of(Long.MAX_VALUE).next());
            assertEquals("sequence number " + Long.MAX_VALUE + " has no successor", e.getMessage());
        }

        @Test
        void decisionRefusesNullsAndNegativeViewsAndComparesArraysByContent() {
            byte[] e = new byte[0];
            SeqNo s = SeqNo.of(3);
            assertEquals("decision seqNo must not be null",
                    assertThrows(IllegalArgumentException.class, () -> new Decision<>(null, 0, e, "p", e)).getMessage());
            assertEquals("decision view must be >= 0, got -1 at seq 3",
                    assertThrows(IllegalArgumentException.class, () -> new Decision<>(s, -1, e, "p", e)).getMessage());
            assertContains("digest must not be null (use an empty array) at seq 3",
                    assertThrows(IllegalArgumentException.class, () -> new Decision<>(s, 0, null, "p", e)).getMessage());
            assertContains("payload must not be null at seq 3",
                    assertThrows(IllegalArgumentException.class, () -> new Decision<>(s, 0, e, null, e)).getMessage());
            assertContains("proof must not be null (use an empty array) at seq 3",
                    assertThrows(IllegalArgumentException.class, () -> new Decision<>(s, 0, e, "p", null)).getMessage());

            Decision<byte[]> a = new Decision<>(s, 1, new byte[]{1}, new byte[]{2, 3}, new byte[]{4});
            Decision<byte[]> b = new Decision<>(s, 1, new byte[]{1}, new byte[]{2, 3}, new byte[]{4});
            assertEquals(a, b);
            assertEquals(a.hashCode(), b.hashCode());
            assertNotEquals(a, new Decision<>(s, 1, new byte[]{1}, new byte[]{2, 9}, new byte[]{4}));
            assertNotEquals(a, new Decision<>(s, 2, new byte[]{1}, new byte[]{2, 3}, new byte[]{4}));
            assertEquals("Decision[seqNo=3, view=1, digest=byte[1], payload=byte[2], proof=byte[1]]", a.toString());
            Decision<String> simple = Decision.of(s, "x");
            assertEquals(0, simple.view());
            assertArrayEquals(new byte[0], simple.digest());
            assertArrayEquals(new byte[0], simple.proof());
        }

        @Test
        void checkpointAndRecoveryStateRefuseNulls() {
            assertThrows(IllegalArgumentException.class, () -> new Checkpoint<>(null, "s"));
            assertContains("checkpoint state must not be null at seq 1",
                    assertThrows(IllegalArgumentException.class, () -> new Checkpoint<>(SeqNo.of(1), null)).getMessage());
            assertThrows(IllegalArgumentException.class, () -> new RecoveryState<>(null, List.of(), Optional.empty()));
            assertThrows(IllegalArgumentException.class, () -> new RecoveryState<>(Optional.empty(), null, Optional.empty()));
            assertThrows(IllegalArgumentException.class, () -> new RecoveryState<>(Optional.empty(), List.of(), null));
            java.util.ArrayList<Decision<String>> list = new java.util.ArrayList<>(List.of(Decision.of(SeqNo.of(1), "a")));
            RecoveryState<String, String, String> r = new RecoveryState<>(Optional.empty(), list, Optional.empty());
            list.clear();
            assertEquals(1, r.decisionsAfterCheckpoint().size(), "the list is copied");
        }

        @Test
        void codecsRoundTripAndUtf8RefusesMalformedInput() {
            byte[] raw = {1, 2, 3};
            assertArrayEquals(raw, Codec.bytes().decode(Codec.bytes().encode(raw)));
            assertEquals("héllo ✓", Codec.utf8().decode(Codec.utf8().encode("héllo ✓")));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Codec.utf8().decode(new byte[]{(byte) 0xC3, (byte) 0x28}));
            assertContains("bytes are not valid UTF-8", e.getMessage());
        }

        @Test
        void exceptionsKeepMessageAndCause() {
            Throwable cause = new IOException("disk");
            List<PersistentLogException> all = List.of(new PersistentLogException("m", cause), new CorruptLogException("m", cause),
                    new LogLockedException("m", cause), new BackendNotFoundException("m", cause), new IncompatibleLogException("m", cause));
            for (PersistentLogException e : all) {
                assertEquals("m", e.getMessage());
                assertEquals(cause, e.getCause());
            }
            assertEquals("m", new CorruptLogException("m").getMessage());
        }
    }
}
