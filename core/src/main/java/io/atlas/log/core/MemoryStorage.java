package io.atlas.log.core;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.RecordVisitor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Pattern;

/** {@link LogStorage} on the heap; see {@link MemoryStorageProvider}. */
final class MemoryStorage implements LogStorage {

    private static final Pattern META_KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    /** What survives close and reopen of one directory. */
    static final class State {
        final ConcurrentSkipListMap<Long, byte[]> records = new ConcurrentSkipListMap<>();
        final ConcurrentSkipListMap<Long, byte[]> checkpoints = new ConcurrentSkipListMap<>();
        final Map<String, byte[]> meta = new ConcurrentHashMap<>();
        volatile long prefixPoint = -1;
    }

    private final State state;
    private volatile boolean closed;

    MemoryStorage(State state) {
        this.state = state;
    }

    @Override
    public void append(List<LogRecord> records) {
        checkOpen();
        if (records.isEmpty()) {
            return;
        }
        long expected = state.records.isEmpty() ? -1 : state.records.lastKey() + 1;
        long first = records.get(0).seq();
        if (expected < 0 ? first <= state.prefixPoint : first != expected) {
            throw new IllegalArgumentException("memory: append expected seq "
                    + (expected < 0 ? "above " + state.prefixPoint : Long.toString(expected)) + ", got " + first);
        }
        for (int i = 1; i < records.size(); i++) {
            if (records.get(i).seq() != first + i) {
                throw new IllegalArgumentException("memory: append batch not contiguous: expected seq "
                        + (first + i) + ", got " + records.get(i).seq());
            }
        }
        for (LogRecord r : records) {
            state.records.put(r.seq(), r.data().clone());
        }
    }

    @Override
    public Optional<byte[]> read(long seq) {
        checkOpen();
        byte[] b = state.records.get(seq);
        return b == null ? Optional.empty() : Optional.of(b.clone());
    }

    @Override
    public void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException {
        checkOpen();
        if (fromSeq > toSeqInclusive) {
            return;
        }
        for (Map.Entry<Long, byte[]> e : state.records.subMap(fromSeq, true, toSeqInclusive, true).entrySet()) {
            visitor.visit(e.getKey(), e.getValue().clone());
        }
    }

    @Override
    public long firstSeq() {
        checkOpen();
        Map.Entry<Long, byte[]> e = state.records.firstEntry();
        return e == null ? -1 : e.getKey();
    }

    @Override
    public long lastSeq() {
        checkOpen();
        Map.Entry<Long, byte[]> e = state.records.lastEntry();
        return e == null ? -1 : e.getKey();
    }

    @Override
    public void truncatePrefix(long upToSeqInclusive) {
        checkOpen();
        state.records.headMap(upToSeqInclusive, true).clear();
        state.prefixPoint = Math.max(state.prefixPoint, upToSeqInclusive);
    }

    @Override
    public void truncateSuffix(long fromSeqInclusive) {
        checkOpen();
        state.records.tailMap(fromSeqInclusive, true).clear();
    }

    @Override
    public void putCheckpoint(long seq, byte[] data) {
        checkOpen();
        checkSeq(seq);
        state.checkpoints.put(seq, data.clone());
    }

    @Override
    public Optional<byte[]> readCheckpoint(long seq) {
        checkOpen();
        byte[] b = state.checkpoints.get(seq);
        return b == null ? Optional.empty() : Optional.of(b.clone());
    }

    @Override
    public long[] checkpointSeqs() {
        checkOpen();
        List<Long> keys = new ArrayList<>(state.checkpoints.keySet());
        return keys.stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public void deleteCheckpoint(long seq) {
        checkOpen();
        state.checkpoints.remove(seq);
    }

    @Override
    public void putMeta(String key, byte[] value) {
        checkOpen();
        checkKey(key);
        state.meta.put(key, value.clone());
    }

    @Override
    public Optional<byte[]> getMeta(String key) {
        checkOpen();
        checkKey(key);
        byte[] b = state.meta.get(key);
        return b == null ? Optional.empty() : Optional.of(b.clone());
    }

    @Override
    public void sync() {
        checkOpen();
    }

    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("memory: storage is closed");
        }
    }

    private static void checkSeq(long seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("memory: seq must be >= 0, got " + seq);
        }
    }

    private static void checkKey(String key) {
        if (key == null || !META_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("memory: metadata key must be 1-128 characters of [A-Za-z0-9._-], got '" + key + "'");
        }
    }
}
