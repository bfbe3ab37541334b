package io.atlas.log.file;

import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

/** What the backend's tests share: opening, deterministic records, file surgery and log capture. */
final class Fixtures {

    static final int SEGMENT = 8 << 10;
    /** A segment size that holds every record of a test, so that nothing rolls or seals. */
    static final int BIG_SEGMENT = 1 << 20;

    private Fixtures() {
    }

    static LogStorage open(Path dir) throws IOException {
        return open(dir, SEGMENT);
    }

    static LogStorage open(Path dir, long segmentSize) throws IOException {
        return new FileStorageProvider().open(new StorageConfig(dir, segmentSize));
    }

    static LogStorage open(Path dir, FileIo io) throws IOException {
        return new FileStorageProvider(io).open(new StorageConfig(dir, SEGMENT));
    }

    static LogStorage open(Path dir, long segmentSize, Map<String, String> options) throws IOException {
        return new FileStorageProvider().open(new StorageConfig(dir, segmentSize, options));
    }

    /** Deterministic content of record {@code seq}: 100 to 299 bytes. */
    static byte[] data(long seq) {
        SplittableRandom r = new SplittableRandom(seq * 31 + 7);
        byte[] b = new byte[100 + (int) (seq % 200)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    static List<io.atlas.log.spi.LogRecord> records(long from, int n) {
        List<io.atlas.log.spi.LogRecord> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(new io.atlas.log.spi.LogRecord(from + i, data(from + i)));
        }
        return list;
    }

    /** Appends {@code from..from+n-1} one batch of 10 at a time and syncs. */
    static void fill(LogStorage s, long from, int n) throws IOException {
        for (int i = 0; i < n; i += 10) {
            s.append(records(from + i, Math.min(10, n - i)));
        }
        s.sync();
    }

    static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> Segment.isName(p.getFileName().toString())).sorted().toList();
        }
    }

    static Path lastSegment(Path dir) throws IOException {
        List<Path> files = segmentFiles(dir);
        return files.get(files.size() - 1);
    }

    static void flipByte(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x5A);
        }
    }

    static void write(Path file, long offset, byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes);
        }
    }

    static void truncate(Path file, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    /** Offset of record {@code seq} in the segment {@code file} that starts at {@code firstSeq}, by walking it. */
    static long offsetOf(Path file, long firstSeq, long seq) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long pos = SegmentHeader.SIZE;
            for (long s = firstSeq; s < seq; s++) {
                f.seek(pos);
                pos += RecordFormat.HEADER_SIZE + f.readInt();
            }
            return pos;
        }
    }

    /** The synced watermark in the header of the record at {@code offset}. */
    static int syncedAt(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            f.seek(offset + 12);
            return f.readInt();
        }
    }

    /** First seq of a segment file, from its name. */
    static long firstSeqOf(Path segment) {
        return Long.parseLong(segment.getFileName().toString().substring(4, 24));
    }

    /** Collects what the backend logs while open. */
    static final class LogCapture extends Handler implements AutoCloseable {
        private final Logger logger = Logger.getLogger(FileLogStorage.class.getName());
        private final List<LogRecord> records = new ArrayList<>();

        LogCapture() {
            logger.addHandler(this);
        }

        @Override
        public synchronized void publish(LogRecord record) {
            records.add(record);
        }

        synchronized List<String> warnings() {
            return records.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                    .map(LogRecord::getMessage).toList();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }
}
