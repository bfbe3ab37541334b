package io.atlas.log.tck;

import io.atlas.log.spi.Capability;
import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.RecordVisitor;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Deliberately broken backends: the {@code memory} provider with one fault each. Every fault is
 * a plain, believable bug; {@link BrokenBackendsTest} asserts which guarantee the kit sees broken.
 */
final class BrokenBackends {

    private BrokenBackends() {
    }

    /** A provider named {@code name} that opens {@code memory} and wraps it with {@code fault}. */
    static StorageProvider provider(String name, UnaryOperator<LogStorage> fault) {
        StorageProvider memory = Kit.modelProvider();
        return new StorageProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Set<Capability> capabilities() {
                return memory.capabilities();
            }

            @Override
            public LogStorage open(StorageConfig config) throws IOException {
                return fault.apply(memory.open(config));
            }
        };
    }

    /**
     * Writes an index file with the process's default permissions (rw-r--r-- under the usual umask)
     * next to the records: a backend that forgot G11.
     */
    static StorageProvider worldReadableFiles(String name) {
        StorageProvider memory = Kit.modelProvider();
        return new StorageProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Set<Capability> capabilities() {
                return memory.capabilities();
            }

            @Override
            public LogStorage open(StorageConfig config) throws IOException {
                LogStorage storage = memory.open(config);
                Path index = config.directory().resolve("broken.index");
                if (!Files.exists(index)) {
                    Files.write(index, new byte[] {1});
                    Files.setPosixFilePermissions(index, PosixFilePermissions.fromString("rw-r--r--"));
                }
                return storage;
            }
        };
    }

    /** Silently stores all but the last record of every batch of two or more. */
    static final class DropsLastRecordOfBatch extends ForwardingStorage {
        DropsLastRecordOfBatch(LogStorage delegate) {
            super(delegate);
        }

        @Override
        public void append(List<LogRecord> records) throws IOException {
            super.append(records.size() > 1 ? records.subList(0, records.size() - 1) : records);
        }
    }

    /** Reads the neighbour: {@code read(seq)} answers with the record at {@code seq + 1}. */
    static final class ReadsOffByOne extends ForwardingStorage {
        ReadsOffByOne(LogStorage delegate) {
            super(delegate);
        }

        @Override
        public Optional<byte[]> read(long seq) throws IOException {
            return super.read(seq + 1);
        }
    }

    /** Ignores the upper bound of a scan. */
    static final class ScanIgnoresUpperBound extends ForwardingStorage {
        ScanIgnoresUpperBound(LogStorage delegate) {
            super(delegate);
        }

        @Override
        public void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException {
            super.scan(fromSeq, Long.MAX_VALUE, visitor);
        }
    }

    /** Swallows the refusal of a non-contiguous append (stores nothing, says nothing). */
    static final class AcceptsNonContiguousAppend extends ForwardingStorage {
        AcceptsNonContiguousAppend(LogStorage delegate) {
            super(delegate);
        }

        @Override
        public void append(List<LogRecord> records) throws IOException {
            try {
                super.append(records);
            } catch (IllegalArgumentException ignored) {
                // the bug under test: a refused batch is acknowledged
            }
        }
    }

    /** Keeps prefix truncation only in memory of this instance: truncated records come back after reopen. */
    static final class ForgetsPrefixTruncationOnReopen extends ForwardingStorage {
        private volatile long hiddenUpTo = -1;

        ForgetsPrefixTruncationOnReopen(LogStorage delegate) {
            super(delegate);
        }

        @Override
        public void truncatePrefix(long upToSeqInclusive) {
            hiddenUpTo = Math.max(hiddenUpTo, upToSeqInclusive);
        }

        @Override
        public void append(List<LogRecord> records) throws IOException {
            if (!records.isEmpty() && lastSeq() < 0 && records.get(0).seq() <= hiddenUpTo) {
                throw new IllegalArgumentException("broken: append at " + records.get(0).seq()
                        + " not above the prefix point " + hiddenUpTo);
            }
            if (!records.isEmpty() && lastSeq() < 0 && delegate.lastSeq() >= 0) {
                delegate.truncateSuffix(delegate.firstSeq());
            }
            super.append(records);
        }

        @Override
        public Optional<byte[]> read(long seq) throws IOException {
            return seq <= hiddenUpTo ? Optional.empty() : super.read(seq);
        }

        @Override
        public void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException {
            super.scan(Math.max(fromSeq, hiddenUpTo + 1), toSeqInclusive, visitor);
        }

        @Override
        public long firstSeq() {
            long first = super.firstSeq();
            long last = super.lastSeq();
            return last <= hiddenUpTo ? -1 : Math.max(first, hiddenUpTo + 1);
        }

        @Override
        public long lastSeq() {
            long last = super.lastSeq();
            return last <= hiddenUpTo ? -1 : last;
        }
    }

    /** Keeps metadata in memory of this instance only: it is gone after reopen. */
    static final class LosesMetadataOnReopen extends ForwardingStorage {
        private final Map<String, byte[]> meta = new ConcurrentHashMap<>();

        LosesMetadataOnReopen(LogStorage delegate) {
            super(delegate);
        }

        @Override
        public void putMeta(String key, byte[] value) {
            meta.put(key, value.clone());
        }

        @Override
        public Optional<byte[]> getMeta(String key) {
            byte[] v = meta.get(key);
            return v == null ? Optional.empty() : Optional.of(v.clone());
        }
    }
}
