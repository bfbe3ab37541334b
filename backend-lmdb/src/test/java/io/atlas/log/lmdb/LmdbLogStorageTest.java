package io.atlas.log.lmdb;

import io.atlas.log.IncompatibleLogException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.Txn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LMDB layout, map growth, format versioning and files of the backend. */
class LmdbLogStorageTest {

    private static final Map<String, String> TINY_MAP = Map.of("map-size", "64KiB", "max-map-size", "64MiB");

    @TempDir
    Path tmp;

    @Test
    void g2_seqKeysAreBigEndianSoLmdbKeyOrderIsNumericOrder() throws IOException {
        Path dir = tmp.resolve("log");
        long start = (1L << 32) - 300; // crosses carries in the low bytes and into the fifth byte
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            s.append(LmdbTesting.records(start, 600, 16, 1));
            for (long c : new long[] {256, 255, 1L << 40, 0, 65_536, 1}) {
                s.putCheckpoint(c, new byte[] {(byte) c});
            }
            s.sync();
        }
        try (Env<ByteBuffer> env = LmdbTesting.rawEnv(dir)) {
            Dbi<ByteBuffer> decisions = env.openDbi(LmdbLayout.DECISIONS);
            Dbi<ByteBuffer> checkpoints = env.openDbi(LmdbLayout.CHECKPOINTS);
            try (Txn<ByteBuffer> txn = env.txnRead()) {
                List<Long> keys = rawKeys(decisions, txn);
                assertEquals(600, keys.size(), "records in the 'decisions' database");
                for (int i = 0; i < keys.size(); i++) {
                    assertEquals(start + i, keys.get(i), "LMDB's own key order at position " + i + " must be numeric order");
                }
                assertEquals(List.of(0L, 1L, 255L, 256L, 65_536L, 1L << 40), rawKeys(checkpoints, txn),
                        "checkpoint keys in LMDB's own order");
            }
        }
    }

    /** The keys of {@code db} in LMDB's order, each checked to be 8 bytes and read as a big-endian long. */
    private static List<Long> rawKeys(Dbi<ByteBuffer> db, Txn<ByteBuffer> txn) {
        List<Long> keys = new ArrayList<>();
        try (Cursor<ByteBuffer> c = db.openCursor(txn)) {
            for (boolean more = c.first(); more; more = c.next()) {
                ByteBuffer k = c.key();
                assertEquals(8, k.remaining(), "key length");
                keys.add(k.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN).getLong());
            }
        }
        return keys;
    }

    @Test
    void g6_prefixPointLivesInTheInternalDatabaseNotInUserMetadata() throws IOException {
        Path dir = tmp.resolve("log");
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            s.append(LmdbTesting.records(0, 10, 8, 1));
            s.truncatePrefix(20);
            assertTrue(s.getMeta(LmdbLayout.PREFIX_POINT_KEY).isEmpty(), "the prefix point must not show as user metadata");
        }
        try (Env<ByteBuffer> env = LmdbTesting.rawEnv(dir)) {
            Dbi<ByteBuffer> internal = env.openDbi(LmdbLayout.INTERNAL);
            Dbi<ByteBuffer> metadata = env.openDbi(LmdbLayout.METADATA);
            try (Txn<ByteBuffer> txn = env.txnRead()) {
                assertEquals(20, internal.get(txn, LmdbLayout.textKey(LmdbLayout.PREFIX_POINT_KEY)).getLong());
                assertEquals(LmdbLayout.FORMAT_VERSION, internal.get(txn, LmdbLayout.textKey(LmdbLayout.FORMAT_KEY)).getInt());
                assertEquals(0, metadata.stat(txn).entries, "user metadata database must be empty");
            }
        }
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            assertThrows(IllegalArgumentException.class, () -> s.append(LmdbTesting.records(20, 1, 8, 2)),
                    "after reopen, an append at the prefix point 20 must be refused");
            s.append(LmdbTesting.records(21, 1, 8, 2));
            assertEquals(21, s.firstSeq());
        }
    }

    @Test
    void mapGrowsWhenFullAndKeepsEverything() throws IOException {
        Path dir = tmp.resolve("log");
        int n = 3000;
        try (LmdbLogStorage s = LmdbTesting.open(dir, TINY_MAP)) {
            assertEquals(64L << 10, s.mapSize(), "initial map size");
            for (int seq = 0; seq < n; seq += 50) {
                s.append(LmdbTesting.records(seq, 50, 1000, 3));
            }
            s.putCheckpoint(7, LmdbTesting.bytes(4, 7, 200_000)); // a value spanning overflow pages
            s.sync();
            assertTrue(s.mapSize() >= 4L << 20, "3 MB of records must have grown the 64 KiB map, map is " + s.mapSize());
            assertTrue(s.mapSize() <= 64L << 20, "the map must stay within max-map-size, map is " + s.mapSize());
            assertAllStored(s, 0, n, 1000, 3);
        }
        try (LmdbLogStorage s = LmdbTesting.open(dir, TINY_MAP)) {
            assertTrue(s.mapSize() >= Files.size(dir.resolve(LmdbLayout.DATA_FILE)),
                    "a reopened map must start at least at the data file's size");
            assertAllStored(s, 0, n, 1000, 3);
            assertArrayEquals(LmdbTesting.bytes(4, 7, 200_000), s.readCheckpoint(7).orElseThrow());
            s.append(LmdbTesting.records(n, 100, 1000, 3));
            assertAllStored(s, 0, n + 100, 1000, 3);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void g2_readersOnOtherThreadsKeepReadingWhileTheMapGrows() throws Exception {
        int n = 4000;
        try (LmdbLogStorage s = LmdbTesting.open(tmp.resolve("log"), TINY_MAP)) {
            s.append(LmdbTesting.records(0, 1, 1000, 8));
            AtomicBoolean done = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<Long>> readers = new ArrayList<>();
                for (int r = 0; r < 2; r++) {
                    int reader = r;
                    readers.add(pool.submit(() -> {
                        long reads = 0;
                        SplittableRandom rnd = new SplittableRandom(reader);
                        while (!done.get()) {
                            long last = s.lastSeq();
                            long seq = rnd.nextLong(last + 1);
                            assertArrayEquals(LmdbTesting.bytes(8, seq, 1000), s.read(seq).orElse(null), "read(" + seq + ")");
                            long[] next = {Math.max(0, last - 40)};
                            s.scan(next[0], last, (q, data) -> assertEquals(next[0]++, q, "scan order"));
                            assertEquals(last + 1, next[0], "scan must reach lastSeq() read before it");
                            reads++;
                        }
                        return reads;
                    }));
                }
                Future<?> writer = pool.submit(() -> {
                    try {
                        for (int seq = 1; seq < n; seq += 20) {
                            s.append(LmdbTesting.records(seq, Math.min(20, n - seq), 1000, 8));
                            s.sync();
                        }
                    } finally {
                        done.set(true);
                    }
                    return null;
                });
                writer.get(100, TimeUnit.SECONDS);
                for (Future<Long> r : readers) {
                    r.get(100, TimeUnit.SECONDS);
                }
            } finally {
                done.set(true);
                pool.shutdownNow();
            }
            assertTrue(s.mapSize() >= 4L << 20, "the map must have grown several times, map is " + s.mapSize());
            assertAllStored(s, 0, n, 1000, 8);
        }
    }

    @Test
    void scanVisitorMayAppendEvenWhenTheMapMustGrow() throws IOException {
        try (LmdbLogStorage s = LmdbTesting.open(tmp.resolve("log"), TINY_MAP)) {
            s.append(LmdbTesting.records(0, 10, 1000, 9));
            long[] appended = {10};
            // a visitor runs outside any transaction, so the growth its appends need cannot deadlock
            s.scan(0, 9, (seq, data) -> {
                s.append(LmdbTesting.records(appended[0], 100, 1000, 9));
                appended[0] += 100;
            });
            assertEquals(1010, appended[0]);
            assertTrue(s.mapSize() > 64L << 10, "the appends from the visitor must have grown the map");
            assertAllStored(s, 0, 1010, 1000, 9);
        }
    }

    @Test
    void mapFullPastMaximumIsAClearErrorAndLosesNothing() throws IOException {
        Path dir = tmp.resolve("log");
        Map<String, String> capped = Map.of("map-size", "64KiB", "max-map-size", "256KiB");
        long stored = 0;
        IOException full = null;
        try (LmdbLogStorage s = LmdbTesting.open(dir, capped)) {
            while (stored < 10_000) {
                try {
                    s.append(LmdbTesting.records(stored, 10, 1000, 5));
                } catch (IOException e) {
                    full = e;
                    break;
                }
                s.sync();
                stored += 10;
            }
            assertTrue(full != null, "256 KiB of map cannot hold 10 MB of records; no error after " + stored);
            String msg = full.getMessage();
            assertTrue(msg.contains("LMDB map full at 262144 bytes (atlas.log.lmdb.max-map-size=262144)")
                    && msg.contains("raise atlas.log.lmdb.max-map-size"), "message: " + msg);
            assertTrue(stored > 50, "the map must have grown from 64 KiB before it was full, stored only " + stored);
            assertEquals(stored - 1, s.lastSeq(), "lastSeq() after the refused batch");
            assertTrue(s.read(stored).isEmpty(), "nothing of the refused batch may be stored");
            IOException huge = assertThrows(IOException.class, () -> s.putCheckpoint(1, new byte[300_000]),
                    "a checkpoint larger than the whole map");
            assertTrue(huge.getMessage().contains("atlas.log.lmdb.max-map-size"), huge.getMessage());
            assertTrue(s.readCheckpoint(1).isEmpty(), "the refused checkpoint must not be stored");
        }
        try (LmdbLogStorage s = LmdbTesting.open(dir, capped)) {
            assertEquals(stored - 1, s.lastSeq(), "lastSeq() after reopen");
            assertAllStored(s, 0, stored, 1000, 5);
        }
        try (LmdbLogStorage s = LmdbTesting.open(dir, Map.of("max-map-size", "16MiB"))) {
            s.append(LmdbTesting.records(stored, 10, 1000, 5));
            assertAllStored(s, 0, stored + 10, 1000, 5);
        }
    }

    @Test
    void g10_newerFormatVersionIsRefusedAndLeftUntouched() throws IOException {
        Path dir = tmp.resolve("log");
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            s.append(LmdbTesting.records(0, 5, 8, 1));
        }
        setFormatVersion(dir, LmdbLayout.FORMAT_VERSION + 1);
        IncompatibleLogException e = assertThrows(IncompatibleLogException.class, () -> LmdbTesting.open(dir));
        assertTrue(e.getMessage().contains("format version " + (LmdbLayout.FORMAT_VERSION + 1))
                && e.getMessage().contains(dir.resolve("data.mdb").toString()), e.getMessage());
        try (Env<ByteBuffer> env = LmdbTesting.rawEnv(dir)) {
            Dbi<ByteBuffer> internal = env.openDbi(LmdbLayout.INTERNAL);
            try (Txn<ByteBuffer> txn = env.txnRead()) {
                assertEquals(LmdbLayout.FORMAT_VERSION + 1, internal.get(txn, LmdbLayout.textKey(LmdbLayout.FORMAT_KEY)).getInt(),
                        "a refused open must not rewrite the format version");
            }
        }
        setFormatVersion(dir, LmdbLayout.FORMAT_VERSION);
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            assertEquals(4, s.lastSeq(), "the store opens again once the version is one this code reads");
        }
    }

    private static void setFormatVersion(Path dir, int version) {
        try (Env<ByteBuffer> env = LmdbTesting.rawEnv(dir)) {
            Dbi<ByteBuffer> internal = env.openDbi(LmdbLayout.INTERNAL);
            ByteBuffer v = ByteBuffer.allocateDirect(4);
            v.putInt(0, version);
            internal.put(LmdbLayout.textKey(LmdbLayout.FORMAT_KEY), v);
        }
    }

    @Test
    void g10_lmdbEnvironmentOfAnotherApplicationIsRefused() throws IOException {
        Path dir = tmp.resolve("foreign");
        Files.createDirectories(dir);
        try (Env<ByteBuffer> env = LmdbTesting.rawEnv(dir)) {
            env.openDbi("users", DbiFlags.MDB_CREATE).put(LmdbLayout.textKey("alice"), LmdbLayout.textKey("x"));
        }
        IncompatibleLogException e = assertThrows(IncompatibleLogException.class, () -> LmdbTesting.open(dir));
        assertTrue(e.getMessage().contains("not written by the atlas-log-lmdb backend"), e.getMessage());
    }

    @Test
    void g2_reopenKeepsRecordsCheckpointsMetadataAndBounds() throws IOException {
        Path dir = tmp.resolve("log");
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            s.append(LmdbTesting.records(100, 50, 300, 6));
            s.truncatePrefix(109);
            s.truncateSuffix(140);
            s.putCheckpoint(120, new byte[] {1, 2});
            s.putMeta("view", new byte[] {9});
            s.sync();
        }
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            assertEquals(110, s.firstSeq());
            assertEquals(139, s.lastSeq());
            assertAllStored(s, 110, 30, 300, 6);
            assertArrayEquals(new long[] {120}, s.checkpointSeqs());
            assertArrayEquals(new byte[] {9}, s.getMeta("view").orElseThrow());
        }
    }

    @Test
    void g11_filesAndCreatedDirectoryAreOwnerOnly() throws IOException {
        Path dir = tmp.resolve("a").resolve("log");
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            s.append(LmdbTesting.records(0, 1, 8, 1));
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), "log directory");
        for (String f : List.of(LmdbLayout.DATA_FILE, LmdbLayout.LOCK_FILE)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f))), f);
        }
    }

    @Test
    void filesOfOthersInTheDirectoryAreIgnored() throws IOException {
        Path dir = tmp.resolve("log");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("atlas-log.manifest"), "backend=lmdb\nformat=1\n");
        Files.writeString(dir.resolve("atlas-log.lock"), "");
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            s.append(LmdbTesting.records(0, 3, 8, 1));
        }
        assertEquals("backend=lmdb\nformat=1\n", Files.readString(dir.resolve("atlas-log.manifest")));
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            assertEquals(2, s.lastSeq());
        }
    }

    @Test
    void g9_callsAfterCloseAreRefusedAndCloseIsIdempotent() throws IOException {
        LmdbLogStorage s = LmdbTesting.open(tmp.resolve("log"));
        s.close();
        s.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, s::lastSeq);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, s::sync);
        assertFalse(e.getMessage().isBlank());
    }

    private static void assertAllStored(LmdbLogStorage s, long from, long count, int size, long salt) throws IOException {
        long[] next = {from};
        s.scan(from, from + count - 1, (seq, data) -> {
            assertEquals(next[0], seq, "scan order");
            assertArrayEquals(LmdbTesting.bytes(salt, seq, size), data, "bytes of seq " + seq);
            next[0]++;
        });
        assertEquals(from + count, next[0], "records visited by scan(" + from + ", " + (from + count - 1) + ")");
        for (long seq = from; seq < from + count; seq += Math.max(1, count / 50)) {
            assertArrayEquals(LmdbTesting.bytes(salt, seq, size), s.read(seq).orElseThrow(), "read(" + seq + ")");
        }
    }
}
