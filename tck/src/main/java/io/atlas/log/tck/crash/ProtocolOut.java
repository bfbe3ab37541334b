package io.atlas.log.tck.crash;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The child's end of the protocol: each event becomes one line written with a single unbuffered
 * {@code write}, so a line is in the pipe (and survives a SIGKILL of the child) as soon as
 * {@link #emit} returns, and lines from the async-completion threads never interleave.
 */
final class ProtocolOut {

    private final OutputStream out;

    ProtocolOut(OutputStream out) {
        this.out = out;
    }

    /**
     * @throws UncheckedIOException if the parent is gone (the child should stop then)
     */
    synchronized void emit(CrashEvent event) {
        try {
            out.write((event.toLine() + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot report '" + event.toLine() + "' to the parent process", e);
        }
    }
}
