package io.atlas.log.spi;

import java.io.IOException;

/** Receives records from {@link LogStorage#scan}, in ascending order. */
@FunctionalInterface
public interface RecordVisitor {

    /**
     * Called once per record. {@code data} belongs to the visitor (the backend does not reuse it).
     * An exception stops the scan and propagates from {@code scan} unchanged.
     */
    void visit(long seq, byte[] data) throws IOException;
}
