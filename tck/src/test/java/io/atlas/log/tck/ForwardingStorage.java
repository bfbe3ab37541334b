package io.atlas.log.tck;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.RecordVisitor;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** A {@link LogStorage} that forwards every call; broken backends override what they break. */
public class ForwardingStorage implements LogStorage {

    protected final LogStorage delegate;

    public ForwardingStorage(LogStorage delegate) {
        this.delegate = delegate;
    }

    @Override
    public void append(List<LogRecord> records) throws IOException {
        delegate.append(records);
    }

    @Override
    public Optional<byte[]> read(long seq) throws IOException {
        return delegate.read(seq);
    }

    @Override
    public void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException {
        delegate.scan(fromSeq, toSeqInclusive, visitor);
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
        delegate.truncatePrefix(upToSeqInclusive);
    }

    @Override
    public void truncateSuffix(long fromSeqInclusive) throws IOException {
        delegate.truncateSuffix(fromSeqInclusive);
    }

    @Override
    public void putCheckpoint(long seq, byte[] state) throws IOException {
        delegate.putCheckpoint(seq, state);
    }

    @Override
    public Optional<byte[]> readCheckpoint(long seq) throws IOException {
        return delegate.readCheckpoint(seq);
    }

    @Override
    public long[] checkpointSeqs() throws IOException {
        return delegate.checkpointSeqs();
    }

    @Override
    public void deleteCheckpoint(long seq) throws IOException {
        delegate.deleteCheckpoint(seq);
    }

    @Override
    public void putMeta(String key, byte[] value) throws IOException {
        delegate.putMeta(key, value);
    }

    @Override
    public Optional<byte[]> getMeta(String key) throws IOException {
        return delegate.getMeta(key);
    }

    @Override
    public void sync() throws IOException {
        delegate.sync();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
