package io.atlas.log.tck.crash;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@link CrashWriter} child JVM seen from the parent: a reader thread turns its standard output into
 * {@link CrashEvent}s appended to a {@link CrashHistory}; standard error goes to a file so the child
 * can never block on it. {@link #kill()} is SIGKILL.
 */
final class ChildProcess implements AutoCloseable {

    private final Process process;
    private final CrashHistory history;
    private final Path stderr;
    private final Thread reader;
    private final List<String> protocolErrors = new ArrayList<>();
    private boolean eof;

    private ChildProcess(Process process, CrashHistory history, Path stderr) {
        this.process = process;
        this.history = history;
        this.stderr = stderr;
        this.reader = new Thread(this::read, "crash-child-reader-" + process.pid());
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /** Starts {@code command}, its events going to {@code history}, its standard error to {@code stderr}. */
    static ChildProcess start(List<String> command, CrashHistory history, Path stderr) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        return new ChildProcess(pb.start(), history, stderr);
    }

    /** Reads whole lines only: a line cut by the kill was never completely sent, so it never happened. */
    private void read() {
        try (InputStream in = process.getInputStream()) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        accept(line.toString(StandardCharsets.UTF_8));
                        line.reset();
                    } else {
                        line.write(buf[i]);
                    }
                }
            }
        } catch (IOException e) {
            synchronized (history) {
                protocolErrors.add("reading the child's output failed: " + e);
            }
        } finally {
            synchronized (history) {
                eof = true;
                history.notifyAll();
            }
        }
    }

    private void accept(String line) {
        try {
            history.add(CrashEvent.parse(line));
        } catch (IllegalArgumentException e) {
            synchronized (history) {
                protocolErrors.add(e.getMessage());
            }
        }
    }

    /**
     * Waits until {@code condition} holds for the history, the child's output ends, or
     * {@code timeoutMillis} pass.
     *
     * @return whether the condition holds
     */
    boolean await(Predicate<CrashHistory> condition, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (history) {
            while (!condition.test(history)) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (eof || left <= 0) {
                    return condition.test(history);
                }
                history.wait(Math.min(left, 50));
            }
            return true;
        }
    }

    /**
     * SIGSTOPs the child: every thread of it stops, and a system call it is in finishes without the
     * child running on. What it has printed so far happened before this returned.
     */
    void freeze() throws IOException, InterruptedException {
        LoopMount.run("kill", "-STOP", Long.toString(process.pid()));
    }

    /**
     * SIGKILLs the child, waits for it to die and for its last output to be read. Goes through the
     * {@link ProcessHandle}: {@code Process.destroyForcibly()} also closes our end of the pipe, which
     * would lose the lines the child wrote just before it died.
     */
    void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        awaitExit(30_000);
    }

    /**
     * Waits for the child to exit by itself and its output to be read.
     *
     * @throws IllegalStateException if it does not within {@code timeoutMillis}
     */
    void awaitExit(long timeoutMillis) throws InterruptedException {
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("crash child " + process.pid() + " did not exit within "
                    + timeoutMillis + " ms");
        }
        reader.join(timeoutMillis);
        if (reader.isAlive()) {
            throw new IllegalStateException("the output of crash child " + process.pid()
                    + " did not end within " + timeoutMillis + " ms of its exit");
        }
    }

    /**
     * How the child ended, for failure messages: its exit code, waiting up to 5 s for it after its
     * output ended, its last ERROR line if it wrote one, and the tail of its standard error.
     */
    String describeEnd() throws InterruptedException {
        boolean ended = process.waitFor(5, TimeUnit.SECONDS);
        StringBuilder sb = new StringBuilder(ended ? "exit code " + process.exitValue() : "still running");
        List<CrashEvent> errors = history.eventsOfCurrentLife(CrashEvent.Type.ERROR);
        if (!errors.isEmpty()) {
            sb.append(", reported: ").append(errors.get(errors.size() - 1).text());
        }
        return sb.append("\n--- child stderr (").append(stderr).append("):\n").append(stderrTail(30)).toString();
    }

    boolean alive() {
        return process.isAlive();
    }

    List<String> protocolErrors() {
        synchronized (history) {
            return List.copyOf(protocolErrors);
        }
    }

    /** The last lines the child wrote to standard error, for failure messages. */
    String stderrTail(int lines) {
        try {
            List<String> all = Files.readAllLines(stderr, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + stderr + ": " + e + ")";
        }
    }

    Path stderrFile() {
        return stderr;
    }

    /** Kills the child if it still runs; an interrupt is passed on, the child being SIGKILLed anyway. */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
