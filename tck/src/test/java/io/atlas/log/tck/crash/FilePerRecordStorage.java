package io.atlas.log.tck.crash;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.RecordVisitor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * A deliberately non-durable backend for the kit's self-test: one file per record, checkpoint and
 * metadata value, each framed with a length and a CRC so a torn file is recognised, replaced
 * atomically by rename where the contract asks for atomicity, and correct in every respect except
 * that it NEVER fsyncs. A process kill cannot tell (the page cache survives); a power loss must.
 * With {@code bufferAppends}, appends stay in memory until {@link #sync()}, which a process kill
 * catches too under a policy that acknowledges before syncing.
 */
final class FilePerRecordStorage implements LogStorage {

    private final Path dir;
    private final boolean bufferAppends;
    private final TreeMap<Long, byte[]> records = new TreeMap<>();
    private final List<LogRecord> unwritten = new ArrayList<>();
    private long prefixPoint = -1;
    private boolean closed;

    FilePerRecordStorage(Path dir, boolean bufferAppends) throws IOException {
        this.dir = dir;
        this.bufferAppends = bufferAppends;
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        load();
    }

    private void load() throws IOException {
        Optional<byte[]> prefix = readFramed(dir.resolve("prefix"));
        if (prefix.isPresent()) {
            prefixPoint = ByteBuffer.wrap(prefix.get()).getLong();
        }
        TreeMap<Long, byte[]> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".tmp")) {
                    Files.delete(p);
                } else if (name.startsWith("r-")) {
                    long seq = Long.parseLong(name.substring(2));
                    Optional<byte[]> data = readFramed(p);
                    if (seq <= prefixPoint || data.isEmpty()) {
                        Files.delete(p);
                    } else {
                        found.put(seq, data.get());
                    }
                }
            }
        }
        // keep the contiguous run from the lowest record: anything after a hole was never acknowledged
        long expect = found.isEmpty() ? 0 : found.firstKey();
        for (Map.Entry<Long, byte[]> e : found.entrySet()) {
            if (e.getKey() == expect) {
                records.put(e.getKey(), e.getValue());
                expect++;
            } else {
                Files.delete(recordFile(e.getKey()));
            }
        }
    }

    @Override
    public synchronized void append(List<LogRecord> batch) throws IOException {
        open();
        long expected = lastSeq() < 0 ? -1 : lastSeq() + 1;
        for (LogRecord r : batch) {
            if (expected < 0 ? r.seq() <= prefixPoint : r.seq() != expected) {
                throw new IllegalArgumentException("test storage: expected seq " + (expected < 0 ? "above " + prefixPoint
                        : String.valueOf(expected)) + ", got " + r.seq());
            }
            expected = r.seq() + 1;
        }
        for (LogRecord r : batch) {
            records.put(r.seq(), r.data());
            if (bufferAppends) {
                unwritten.add(r);
            } else {
                writeFramed(recordFile(r.seq()), r.data(), false);
            }
        }
    }

    @Override
    public synchronized Optional<byte[]> read(long seq) {
        open();
        byte[] b = records.get(seq);
        return b == null ? Optional.empty() : Optional.of(b.clone());
    }

    @Override
    public void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException {
        List<Map.Entry<Long, byte[]>> range;
        synchronized (this) {
            open();
            range = fromSeq > toSeqInclusive ? List.of() : new ArrayList<>(records.subMap(fromSeq, true, toSeqInclusive, true).entrySet());
        }
        for (Map.Entry<Long, byte[]> e : range) {
            visitor.visit(e.getKey(), e.getValue().clone());
        }
    }

    @Override
    public synchronized long firstSeq() {
        return records.isEmpty() ? -1 : records.firstKey();
    }

    @Override
    public synchronized long lastSeq() {
        return records.isEmpty() ? -1 : records.lastKey();
    }

    @Override
    public synchronized void truncatePrefix(long upToSeqInclusive) throws IOException {
        open();
        if (upToSeqInclusive <= prefixPoint) {
            return;
        }
        writeFramed(dir.resolve("prefix"), ByteBuffer.allocate(8).putLong(upToSeqInclusive).array(), true);
        prefixPoint = upToSeqInclusive;
        flushBuffered();
        for (Long seq : new ArrayList<>(records.headMap(upToSeqInclusive, true).keySet())) {
            records.remove(seq);
            Files.deleteIfExists(recordFile(seq));
        }
    }

    @Override
    public synchronized void truncateSuffix(long fromSeqInclusive) throws IOException {
        open();
        flushBuffered();
        for (Long seq : new ArrayList<>(records.tailMap(fromSeqInclusive, true).descendingKeySet())) {
            records.remove(seq);
            Files.deleteIfExists(recordFile(seq));
        }
    }

    @Override
    public synchronized void putCheckpoint(long seq, byte[] state) throws IOException {
        open();
        writeFramed(dir.resolve(String.format("c-%020d", seq)), state, true);
    }

    @Override
    public synchronized Optional<byte[]> readCheckpoint(long seq) throws IOException {
        open();
        return readFramed(dir.resolve(String.format("c-%020d", seq)));
    }

    @Override
    public synchronized long[] checkpointSeqs() throws IOException {
        open();
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("c-") && !n.endsWith(".tmp"))
                    .mapToLong(n -> Long.parseLong(n.substring(2))).sorted().toArray();
        }
    }

    @Override
    public synchronized void deleteCheckpoint(long seq) throws IOException {
        open();
        Files.deleteIfExists(dir.resolve(String.format("c-%020d", seq)));
    }

    @Override
    public synchronized void putMeta(String key, byte[] value) throws IOException {
        open();
        writeFramed(dir.resolve("m-" + key), value, true);
    }

    @Override
    public synchronized Optional<byte[]> getMeta(String key) throws IOException {
        open();
        return readFramed(dir.resolve("m-" + key));
    }

    /** Writes buffered appends, and deliberately forces nothing to the disk. */
    @Override
    public synchronized void sync() throws IOException {
        open();
        flushBuffered();
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    private void flushBuffered() throws IOException {
        for (LogRecord r : unwritten) {
            if (records.containsKey(r.seq())) {
                writeFramed(recordFile(r.seq()), r.data(), false);
            }
        }
        unwritten.clear();
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("test storage in " + dir + " is closed");
        }
    }

    private Path recordFile(long seq) {
        return dir.resolve(String.format("r-%020d", seq));
    }

    private static void writeFramed(Path file, byte[] data, boolean atomic) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(data);
        byte[] framed = ByteBuffer.allocate(12 + data.length).putInt(data.length).putLong(crc.getValue()).put(data).array();
        Path target = atomic ? file.resolveSibling(file.getFileName() + ".tmp") : file;
        Files.deleteIfExists(target);
        Files.write(target, framed);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        if (atomic) {
            try {
                Files.move(target, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("test storage needs atomic rename in " + file.getParent(), e);
            }
        }
    }

    private static Optional<byte[]> readFramed(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        byte[] all = Files.readAllBytes(file);
        if (all.length < 12) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        int len = b.getInt();
        long crc = b.getLong();
        if (len != all.length - 12) {
            return Optional.empty();
        }
        CRC32 c = new CRC32();
        c.update(all, 12, len);
        if (c.getValue() != crc) {
            return Optional.empty();
        }
        byte[] data = new byte[len];
        b.get(data);
        return Optional.of(data);
    }

    @Override
    public String toString() {
        return "test storage in " + dir + (bufferAppends ? " (buffered appends)" : "");
    }
}
