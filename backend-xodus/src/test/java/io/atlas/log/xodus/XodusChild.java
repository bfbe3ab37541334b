package io.atlas.log.xodus;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The program that tests run in a child JVM, so that it can be killed. Prints one line per step to
 * stdout; the parent reads them.
 *
 * <ul>
 *   <li>{@code append DIR COUNT sync|nosync}: appends records 0.. of {@link #SIZE} bytes one per
 *       batch, printing {@code acked SEQ} after each (after its {@code sync()} when {@code sync}), then
 *       {@code done}, then waits to be killed.</li>
 * </ul>
 */
public final class XodusChild {

    static final int SIZE = 512;

    private XodusChild() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "append" -> append(Path.of(args[1]), Integer.parseInt(args[2]), args[3].equals("sync"));
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void append(Path dir, int count, boolean sync) throws IOException, InterruptedException {
        LogStorage s = new XodusStorageProvider().open(new StorageConfig(dir, 64L << 20,
                Map.of(XodusOptions.LOG_FILE_SIZE, "1MiB")));
        long start = s.lastSeq() + 1;
        for (long seq = start; seq < start + count; seq++) {
            s.append(List.of(new LogRecord(seq, XodusLogStorageTest.data(seq, SIZE))));
            if (sync) {
                s.sync();
            }
            System.out.println("acked " + seq);
            System.out.flush();
        }
        System.out.println("done");
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(10));
    }

    /** Starts {@code XodusChild} with {@code args} on {@code classPath}, stderr to {@code stderrFile}. */
    static Process start(List<String> classPath, Path stderrFile, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
        cmd.add("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
        String logging = System.getProperty("java.util.logging.config.file");
        if (logging != null) {
            cmd.add("-Djava.util.logging.config.file=" + logging);
        }
        cmd.add("-cp");
        cmd.add(String.join(java.io.File.pathSeparator, classPath));
        cmd.add(XodusChild.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(stderrFile.toFile()).start();
    }

    /** The test JVM's class path, entry by entry. */
    static List<String> testClassPath() {
        return List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator));
    }

    /** Reads up to {@code lines} lines from the child (fewer if it ends first). */
    static List<String> readLines(InputStream in, int lines) throws IOException {
        List<String> read = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        int c;
        while (read.size() < lines && (c = in.read()) >= 0) {
            if (c == '\n') {
                read.add(line.toString());
                line.setLength(0);
            } else {
                line.append((char) c);
            }
        }
        return read;
    }

    static String stderrOf(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }
}
