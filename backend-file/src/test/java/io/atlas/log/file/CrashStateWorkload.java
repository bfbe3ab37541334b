package io.atlas.log.file;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded mix of storage calls against the file backend on a {@link SimulatedDisk}, told to a
 * {@link CrashStateModel} as they begin and return: appends of random batches and sizes, syncs,
 * prefix and suffix truncations, checkpoints put and deleted, metadata put, and close and reopen.
 * Small segments make the tail roll, seal and get deleted often. Every record and value is unique
 * (its first 8 bytes count up), so a record found after a crash names the append that wrote it.
 */
final class CrashStateWorkload {

    private static final String[] META_KEYS = {"term", "vote", "config", "cluster.id-1"};

    private final Path dir;
    private final int segmentSize;
    private final boolean preallocate;
    private final SimulatedDisk disk;
    private final SplittableRandom rnd;
    private final CrashStateModel model = new CrashStateModel();
    private final List<Long> checkpointSeqs = new ArrayList<>();
    private LogStorage storage;
    private long nextId = 1;

    CrashStateWorkload(Path dir, int segmentSize, boolean preallocate, SimulatedDisk disk, SplittableRandom rnd) {
        this.dir = dir;
        this.segmentSize = segmentSize;
        this.preallocate = preallocate;
        this.disk = disk;
        this.rnd = rnd;
    }

    CrashStateModel model() {
        return model;
    }

    /** Opens the storage, makes {@code calls} random calls, and closes it. */
    void run(int calls) throws IOException {
        model.beginOther("open");
        storage = open();
        model.end();
        for (int i = 0; i < calls; i++) {
            step();
        }
        model.beginOther("close");
        storage.close();
        model.end();
    }

    private LogStorage open() throws IOException {
        return new FileStorageProvider(disk).open(new StorageConfig(dir, segmentSize,
                Map.of(FileStorageProvider.OPTION_PREALLOCATE, Boolean.toString(preallocate))));
    }

    private void step() throws IOException {
        long size = model.isEmpty() ? 0 : model.last() - model.first() + 1;
        int r = rnd.nextInt(100);
        if (size > 150 && r < 50) {
            r = 57;
        }
        if (r < 40) {
            append();
        } else if (r < 57) {
            sync();
        } else if (r < 63) {
            long p = size == 0 ? model.prefixPoint() + rnd.nextInt(3)
                    : model.first() - 1 + rnd.nextLong(size + 2);
            truncatePrefix(Math.max(0, p));
        } else if (r < 70) {
            if (size > 0) {
                long from = model.first() + rnd.nextLong(size + 1);
                model.beginTruncateSuffix(from);
                storage.truncateSuffix(from);
                model.end();
                if (rnd.nextBoolean()) {
                    sync();
                }
            }
        } else if (r < 80) {
            putCheckpoint();
        } else if (r < 85) {
            long seq = checkpointSeqs.isEmpty() || rnd.nextInt(4) == 0 ? rnd.nextLong(1000)
                    : checkpointSeqs.get(rnd.nextInt(checkpointSeqs.size()));
            model.beginDeleteCheckpoint(seq);
            storage.deleteCheckpoint(seq);
            model.end();
            checkpointSeqs.remove(Long.valueOf(seq));
        } else if (r < 95) {
            String key = META_KEYS[rnd.nextInt(META_KEYS.length)];
            byte[] value = unique(rnd.nextInt(4) == 0 ? rnd.nextInt(2000) : rnd.nextInt(100));
            model.beginPutMeta(key, value);
            storage.putMeta(key, value);
            model.end();
        } else {
            if (rnd.nextBoolean()) {
                sync();
            }
            model.beginOther("close and reopen");
            storage.close();
            storage = open();
            model.end();
        }
    }

    private void append() throws IOException {
        int n = 1 + rnd.nextInt(6);
        long seq = model.nextSeq();
        if (model.isEmpty() && rnd.nextInt(4) == 0) {
            seq += rnd.nextInt(5);
        }
        int maxRecord = segmentSize - FileLogStorage.RECORD_MARGIN;
        List<LogRecord> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int pick = rnd.nextInt(100);
            int length = pick < 70 ? rnd.nextInt(120) : pick < 95 ? rnd.nextInt(700) : rnd.nextInt(maxRecord - 8 + 1);
            batch.add(new LogRecord(seq + i, unique(length)));
        }
        model.beginAppend(batch);
        storage.append(batch);
        model.end();
    }

    private void sync() throws IOException {
        model.beginSync();
        storage.sync();
        model.end();
    }

    private void truncatePrefix(long point) throws IOException {
        model.beginTruncatePrefix(point);
        storage.truncatePrefix(point);
        model.end();
    }

    private void putCheckpoint() throws IOException {
        long seq;
        if (!checkpointSeqs.isEmpty() && rnd.nextInt(3) == 0) {
            seq = checkpointSeqs.get(rnd.nextInt(checkpointSeqs.size()));
        } else {
            seq = model.isEmpty() ? rnd.nextLong(1000) : model.first() + rnd.nextLong(model.last() - model.first() + 1);
        }
        byte[] state = unique(rnd.nextInt(200));
        model.beginPutCheckpoint(seq, state);
        storage.putCheckpoint(seq, state);
        model.end();
        if (!checkpointSeqs.contains(seq)) {
            checkpointSeqs.add(seq);
        }
        if (checkpointSeqs.size() > 6) {
            long oldest = checkpointSeqs.get(0);
            model.beginDeleteCheckpoint(oldest);
            storage.deleteCheckpoint(oldest);
            model.end();
            checkpointSeqs.remove(0);
        }
    }

    /** {@code 8 + extra} bytes: a counter that makes the value unique, then random bytes. */
    private byte[] unique(int extra) {
        byte[] b = new byte[8 + extra];
        FileFormat.putLong(b, 0, nextId++);
        for (int i = 8; i < b.length; i++) {
            b[i] = (byte) rnd.nextInt(256);
        }
        return b;
    }
}
