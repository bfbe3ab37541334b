package io.atlas.log.file;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A measurement, not a test: appends 20,000 records of 1 KiB with a sync per record, then in batches
 * of 100 with a sync per batch, on the file system of the given directory (default: a folder under
 * /work). Three interleaved rounds, each also running SPEC 5a's raw loop (FileChannel write and
 * force(false) into a zero-preallocated file) as the disk's limit under the same conditions; prints
 * each round and the medians.
 *
 * <pre>java -cp target/classes:target/test-classes:SPI_JAR io.atlas.log.file.FileLogBenchmark [DIR]</pre>
 */
public final class FileLogBenchmark {

    private static final int RECORDS = 20_000;
    private static final int SIZE = 1024;
    private static final int BATCH = 100;
    private static final int ROUNDS = 3;

    /** Slowest reopen seen: it reads the whole 64 MiB tail segment. */
    private static double openMillis;

    private FileLogBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path base = Path.of(args.length > 0 ? args[0] : "/work/atlas-file-bench");
        Files.createDirectories(base);
        byte[][] payloads = new byte[RECORDS + 1][];
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < payloads.length; i++) {
            payloads[i] = new byte[SIZE];
            r.nextBytes(payloads[i]);
        }
        List<double[]> single = new ArrayList<>();
        List<double[]> batched = new ArrayList<>();
        List<double[]> rawSingle = new ArrayList<>();
        List<double[]> rawBatched = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            rawSingle.add(raw(base.resolve("raw-single-" + round), payloads, 1));
            single.add(run(base.resolve("single-" + round), payloads, 1));
            rawBatched.add(raw(base.resolve("raw-batch-" + round), payloads, BATCH));
            batched.add(run(base.resolve("batch-" + round), payloads, BATCH));
            print("round " + round, single.get(round - 1), batched.get(round - 1), rawSingle.get(round - 1),
                    rawBatched.get(round - 1));
        }
        print("median", median(single), median(batched), median(rawSingle), median(rawBatched));
        System.out.printf("slowest reopen of a log whose 64 MiB tail segment holds %,d records: %.0f ms%n", RECORDS,
                openMillis);
        deleteTree(base);
    }

    private static void print(String what, double[] a, double[] b, double[] ra, double[] rb) {
        System.out.printf("%s: file backend, sync per record %,.0f rec/s, sync p50 %.0f us, p99 %.0f us "
                + "(raw loop %,.0f rec/s, %.0f/%.0f us); batches of %d %,.0f rec/s (raw loop %,.0f rec/s)%n",
                what, a[0], a[1], a[2], ra[0], ra[1], ra[2], BATCH, b[0], rb[0]);
    }

    /** SPEC 5a's raw loop: positional writes and force(false) into a zero-preallocated file. */
    private static double[] raw(Path dir, byte[][] payloads, int batch) throws IOException {
        deleteTree(dir);
        Files.createDirectories(dir);
        Path file = dir.resolve("raw");
        long[] syncNanos = new long[RECORDS / batch];
        long elapsed;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocateDirect(1 << 20);
            for (long pos = 0; pos < 64L << 20; pos += 1 << 20) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    ch.write(zeros, pos + zeros.position());
                }
            }
            ch.force(true);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(batch * (SIZE + 16));
            long pos = 0;
            long start = System.nanoTime();
            for (int i = 0; i < RECORDS / batch; i++) {
                buf.clear();
                for (int k = 0; k < batch; k++) {
                    buf.putLong(1L + (long) i * batch + k).putLong(SIZE).put(payloads[1 + i * batch + k]);
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    pos += ch.write(buf, pos);
                }
                long t = System.nanoTime();
                ch.force(false);
                syncNanos[i] = System.nanoTime() - t;
            }
            elapsed = System.nanoTime() - start;
        }
        deleteTree(dir);
        Arrays.sort(syncNanos);
        return new double[] {RECORDS / (elapsed / 1e9), syncNanos[syncNanos.length / 2] / 1e3,
                syncNanos[(int) (syncNanos.length * 0.99)] / 1e3};
    }

    /** {rec/s, p50 sync us, p99 sync us, mean sync us, mean append us}. */
    private static double[] run(Path dir, byte[][] payloads, int batch) throws IOException {
        deleteTree(dir);
        long[] syncNanos = new long[RECORDS / batch];
        long appendNanos = 0;
        long elapsed;
        try (LogStorage s = new FileStorageProvider().open(new StorageConfig(dir, 64L << 20))) {
            s.append(List.of(new LogRecord(0, payloads[0]))); // creates (preallocates) the segment outside the timing
            s.sync();
            long start = System.nanoTime();
            List<LogRecord> records = new ArrayList<>(batch);
            for (int i = 0; i < RECORDS / batch; i++) {
                records.clear();
                for (int k = 0; k < batch; k++) {
                    long seq = 1L + (long) i * batch + k;
                    records.add(new LogRecord(seq, payloads[(int) seq]));
                }
                long a = System.nanoTime();
                s.append(records);
                long t = System.nanoTime();
                s.sync();
                syncNanos[i] = System.nanoTime() - t;
                appendNanos += t - a;
            }
            elapsed = System.nanoTime() - start;
        }
        long o = System.nanoTime();
        try (LogStorage s = new FileStorageProvider().open(new StorageConfig(dir, 64L << 20))) {
            openMillis = Math.max(openMillis, (System.nanoTime() - o) / 1e6);
            if (s.lastSeq() != RECORDS) {
                throw new IllegalStateException("reopened log ends at " + s.lastSeq() + ", expected " + RECORDS);
            }
        }
        deleteTree(dir);
        double meanSync = Arrays.stream(syncNanos).average().orElse(0) / 1e3;
        Arrays.sort(syncNanos);
        return new double[] {RECORDS / (elapsed / 1e9), syncNanos[syncNanos.length / 2] / 1e3,
                syncNanos[(int) (syncNanos.length * 0.99)] / 1e3, meanSync, appendNanos / 1e3 / syncNanos.length};
    }

    private static double[] median(List<double[]> rounds) {
        double[] m = new double[rounds.get(0).length];
        for (int i = 0; i < m.length; i++) {
            final int k = i;
            double[] v = rounds.stream().mapToDouble(x -> x[k]).sorted().toArray();
            m[i] = v[v.length / 2];
        }
        return m;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
