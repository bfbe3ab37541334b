package io.atlas.log.lmdb;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.StorageConfig;
import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** What the module's tests share: opening storages, deterministic records, the raw environment. */
final class LmdbTesting {

    private LmdbTesting() {
    }

    static LmdbLogStorage open(Path dir, Map<String, String> options) throws IOException {
        return (LmdbLogStorage) new LmdbStorageProvider().open(new StorageConfig(dir, 64L << 20, options));
    }

    static LmdbLogStorage open(Path dir) throws IOException {
        return open(dir, Map.of());
    }

    /** Deterministic bytes of {@code (salt, seq)} so a test can recompute what it stored. */
    static byte[] bytes(long salt, long seq, int length) {
        byte[] b = new byte[length];
        new SplittableRandom(salt * 0x9E3779B97F4A7C15L + seq).nextBytes(b);
        return b;
    }

    static List<LogRecord> records(long from, int count, int size, long salt) {
        List<LogRecord> list = new ArrayList<>(count);
        for (long seq = from; seq < from + count; seq++) {
            list.add(new LogRecord(seq, bytes(salt, seq, size)));
        }
        return list;
    }

    /**
     * The environment in {@code dir} opened directly with lmdbjava, bypassing the backend (to inspect
     * or tamper with the layout). The backend's storage on {@code dir} must be closed first.
     */
    static Env<ByteBuffer> rawEnv(Path dir) {
        return Env.create(ByteBufferProxy.PROXY_OPTIMAL).setMapSize(64L << 20).setMaxDbs(LmdbLayout.MAX_DATABASES)
                .open(dir.toFile(), EnvFlags.MDB_NOTLS);
    }
}
