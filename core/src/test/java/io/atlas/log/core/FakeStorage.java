package io.atlas.log.core;

import io.atlas.log.spi.Capability;
import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.RecordVisitor;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A {@link LogStorage} for engine tests: stores like {@link MemoryStorage}, counts calls, and can
 * inject faults, block syncs, and tamper with what it returns. Every injected fault carries the
 * message {@value #INJECTED} so it is never mistaken for a real one.
 */
final class FakeStorage implements LogStorage {

    static final String INJECTED = "injected fault";

    /** Storage calls a fault can be injected into. */
    enum Op { APPEND, SYNC, TRUNCATE_PREFIX, TRUNCATE_SUFFIX, PUT_CHECKPOINT, DELETE_CHECKPOINT, PUT_META, READ, SCAN, CLOSE }

    private final MemoryStorage delegate = new MemoryStorage(new MemoryStorage.State());
    final AtomicInteger appends = new AtomicInteger();
    final AtomicInteger appendedRecords = new AtomicInteger();
    final AtomicInteger syncs = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    private final Map<Op, Throwable> faults = new ConcurrentHashMap<>();
    /** When set, each sync waits for it (then it is cleared by the test). */
    volatile CountDownLatch syncGate;
    /** Counted down when a sync starts waiting at the gate. */
    volatile CountDownLatch syncEntered;
    /** Rewrites what read and scan return: (seq, bytes) -> bytes; for tampering tests. */
    volatile BiFunction<Long, byte[], byte[]> onRead = (seq, b) -> b;
    /** Rewrites the seq scan reports for a record: for a backend that returns the wrong record. */
    volatile java.util.function.LongUnaryOperator scanSeq = s -> s;
    /** read(seq) returns the record stored at redirect(seq): a backend that returns the wrong record. */
    volatile java.util.function.LongUnaryOperator redirect = s -> s;
    /** Mutating calls in order, such as "append 1..3", "sync", "putCheckpoint 5". */
    final java.util.Queue<String> events = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Seqs that scan skips (a backend that loses a record). */
    final Set<Long> hiddenFromScan = ConcurrentHashMap.newKeySet();

    /** The next call of {@code op} throws {@code fault} (an IOException or a RuntimeException). */
    void failNext(Op op, Throwable fault) {
        faults.put(op, fault);
    }

    static IOException injected(String what) {
        return new IOException(INJECTED + ": " + what);
    }

    private void maybeFail(Op op) throws IOException {
        Throwable t = faults.remove(op);
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    @Override
    public void append(List<LogRecord> records) throws IOException {
        maybeFail(Op.APPEND);
        delegate.append(records);
        if (!records.isEmpty()) {
            events.add("append " + records.get(0).seq() + ".." + records.get(records.size() - 1).seq());
        }
        appends.incrementAndGet();
        appendedRecords.addAndGet(records.size());
    }

    @Override
    public Optional<byte[]> read(long seq) throws IOException {
        maybeFail(Op.READ);
        return delegate.read(redirect.applyAsLong(seq)).map(b -> onRead.apply(seq, b));
    }

    @Override
    public void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException {
        maybeFail(Op.SCAN);
        delegate.scan(fromSeq, toSeqInclusive, (seq, data) -> {
            if (!hiddenFromScan.contains(seq)) {
                long from = redirect.applyAsLong(seq);
                byte[] bytes = from == seq ? data : delegate.read(from).orElseThrow();
                visitor.visit(scanSeq.applyAsLong(seq), onRead.apply(seq, bytes));
            }
        });
    }

    @Override
    public long firstSeq() {
        return delegate.firstSeq();
    }

    @Override
    public long lastSeq() {
        return delegate.lastSeq();
    }

    @Override
    public void truncatePrefix(long upToSeqInclusive) throws IOException {
        maybeFail(Op.TRUNCATE_PREFIX);
        delegate.truncatePrefix(upToSeqInclusive);
        events.add("truncatePrefix " + upToSeqInclusive);
    }

    @Override
    public void truncateSuffix(long fromSeqInclusive) throws IOException {
        maybeFail(Op.TRUNCATE_SUFFIX);
        delegate.truncateSuffix(fromSeqInclusive);
        events.add("truncateSuffix " + fromSeqInclusive);
    }

    @Override
    public void putCheckpoint(long seq, byte[] state) throws IOException {
        maybeFail(Op.PUT_CHECKPOINT);
        delegate.putCheckpoint(seq, state);
        events.add("putCheckpoint " + seq);
    }

    @Override
    public Optional<byte[]> readCheckpoint(long seq) throws IOException {
        return delegate.readCheckpoint(seq).map(b -> onRead.apply(seq, b));
    }

    @Override
    public long[] checkpointSeqs() {
        return delegate.checkpointSeqs();
    }

    @Override
    public void deleteCheckpoint(long seq) throws IOException {
        maybeFail(Op.DELETE_CHECKPOINT);
        delegate.deleteCheckpoint(seq);
        events.add("deleteCheckpoint " + seq);
    }

    @Override
    public void putMeta(String key, byte[] value) throws IOException {
        maybeFail(Op.PUT_META);
        delegate.putMeta(key, value);
        events.add("putMeta " + key);
    }

    @Override
    public Optional<byte[]> getMeta(String key) throws IOException {
        return delegate.getMeta(key).map(b -> onRead.apply(-1L, b));
    }

    @Override
    public void sync() throws IOException {
        CountDownLatch entered = syncEntered;
        if (entered != null) {
            entered.countDown();
        }
        CountDownLatch gate = syncGate;
        if (gate != null) {
            try {
                if (!gate.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("test sync gate was never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted at the test sync gate", e);
            }
        }
        maybeFail(Op.SYNC);
        syncs.incrementAndGet();
        events.add("sync");
    }

    @Override
    public void close() throws IOException {
        closes.incrementAndGet();
        maybeFail(Op.CLOSE);
        delegate.close();
    }

    /** A provider that hands out this one storage (not durable: it lives on the heap). */
    StorageProvider provider(String name) {
        FakeStorage self = this;
        return new StorageProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Set<Capability> capabilities() {
                return EnumSet.noneOf(Capability.class);
            }

            @Override
            public LogStorage open(StorageConfig config) {
                return self;
            }
        };
    }
}
