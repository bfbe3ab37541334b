package io.atlas.log.xodus;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A measurement, not a test: what {@link SyncingFileDataWriter}'s {@code fsync} costs against the
 * {@code fdatasync} Xodus' own writer makes. Appends 5,000 records of 1 KiB to the Xodus backend with a
 * sync per record, and 50,000 in batches of 100, once with {@link SyncingFileDataWriter#FSYNC} and once
 * with a disk that syncs through {@code FileChannel.force(false)}; five interleaved rounds on the file
 * system of the given directory (default: a folder under /work), then the medians and the median of the
 * rounds' fsync/fdatasync ratios.
 *
 * <pre>java -cp target/classes:target/test-classes:DEPENDENCIES io.atlas.log.xodus.XodusSyncBenchmark [DIR]</pre>
 */
public final class XodusSyncBenchmark {

    private static final int SINGLE = 5_000;
    private static final int BATCHED = 50_000;
    private static final int BATCH = 100;
    private static final int SIZE = 1024;
    private static final int ROUNDS = 5;

    /** Xodus' own choice: {@code fdatasync} through a file channel. */
    private static final SyncingFileDataWriter.Disk FDATASYNC = new SyncingFileDataWriter.Disk() {
        @Override
        public SyncingFileDataWriter.SyncHandle open(Path file) throws IOException {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            return new SyncingFileDataWriter.SyncHandle() {
                @Override
                public void sync() throws IOException {
                    channel.force(false);
                }

                @Override
                public void close() throws IOException {
                    channel.close();
                }
            };
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            SyncingFileDataWriter.FSYNC.syncDirectory(dir);
        }
    };

    private XodusSyncBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path base = Path.of(args.length > 0 ? args[0] : "/work/atlas-xodus-bench");
        Files.createDirectories(base);
        byte[] payload = new byte[SIZE];
        new SplittableRandom(42).nextBytes(payload);
        List<double[]> fsyncRuns = new ArrayList<>();
        List<double[]> fdatasyncRuns = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            double[] f = run(base.resolve("fsync-" + round), SyncingFileDataWriter.FSYNC, payload);
            double[] d = run(base.resolve("fdatasync-" + round), FDATASYNC, payload);
            fsyncRuns.add(f);
            fdatasyncRuns.add(d);
            print("round " + round, f, d);
        }
        print("median", median(fsyncRuns), median(fdatasyncRuns));
        double[] ratios = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            ratios[i] = fsyncRuns.get(i)[0] / fdatasyncRuns.get(i)[0];
        }
        Arrays.sort(ratios);
        System.out.printf("median of the rounds' single-record ratios fsync/fdatasync: %.2f%n", ratios[ROUNDS / 2]);
    }

    /** Records per second: sync per record, sync per batch of {@value #BATCH}; and the median sync in microseconds. */
    private static double[] run(Path dir, SyncingFileDataWriter.Disk disk, byte[] payload) throws IOException {
        delete(dir);
        double single;
        double batched;
        long[] syncNanos = new long[SINGLE];
        try (LogStorage s = XodusLogStorage.open(dir, XodusOptions.parse(new StorageConfig(dir, 64L << 20, Map.of())), disk)) {
            long start = System.nanoTime();
            for (int i = 0; i < SINGLE; i++) {
                s.append(List.of(new LogRecord(i + 1, payload)));
                long t = System.nanoTime();
                s.sync();
                syncNanos[i] = System.nanoTime() - t;
            }
            single = SINGLE / ((System.nanoTime() - start) / 1e9);
            start = System.nanoTime();
            for (int i = 0; i < BATCHED; i += BATCH) {
                List<LogRecord> batch = new ArrayList<>(BATCH);
                for (int j = 0; j < BATCH; j++) {
                    batch.add(new LogRecord(SINGLE + i + j + 1, payload));
                }
                s.append(batch);
                s.sync();
            }
            batched = BATCHED / ((System.nanoTime() - start) / 1e9);
        }
        Arrays.sort(syncNanos);
        delete(dir);
        return new double[] {single, batched, syncNanos[SINGLE / 2] / 1e3};
    }

    private static double[] median(List<double[]> runs) {
        double[] m = new double[runs.get(0).length];
        for (int k = 0; k < m.length; k++) {
            int col = k;
            double[] v = runs.stream().mapToDouble(r -> r[col]).sorted().toArray();
            m[k] = v[v.length / 2];
        }
        return m;
    }

    private static void print(String label, double[] fsync, double[] fdatasync) {
        System.out.printf("%-8s fsync: %,.0f rec/s single (sync p50 %.0f us), %,.0f rec/s batched | "
                        + "fdatasync: %,.0f rec/s single (sync p50 %.0f us), %,.0f rec/s batched | single ratio %.2f%n",
                label, fsync[0], fsync[2], fsync[1], fdatasync[0], fdatasync[2], fdatasync[1], fsync[0] / fdatasync[0]);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
