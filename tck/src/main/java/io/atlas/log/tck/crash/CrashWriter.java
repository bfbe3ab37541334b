package io.atlas.log.tck.crash;

import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The child process of the crash kit: opens a log, reports what it recovered, then runs the
 * {@link Workload} (mode {@code write}) or opens and recovers again and again (mode {@code recover})
 * until the parent kills it. Reports every step on standard output in the {@link CrashEvent}
 * protocol; anything else the JVM or the backend prints goes to standard error.
 *
 * <p>Arguments, each {@code key=value}: {@code mode} ({@code write} or {@code recover}), {@code config}
 * (a properties file for {@link PersistentLogConfig#load}), {@code provider} (the provider's class
 * name, or empty to find the configured backend by name), {@code seed}, {@code life} (a number unique
 * among the processes that write this log, 1 to 2^31), {@code mix} ({@code mixed} or
 * {@code decisions}), {@code maxOps}, {@code hold} ({@code true}: after {@code maxOps} report DONE and
 * wait, log still open, to be killed), {@code iterations} (recover mode) and {@code maxSeconds}.
 *
 * <p>The child stops by itself when its standard input reaches end of file (the parent died) or after
 * {@code maxSeconds}, so a failed test never leaves a writer running.
 */
public final class CrashWriter {

    private static final System.Logger LOG = System.getLogger(CrashWriter.class.getName());
    private static final Set<String> KEYS = Set.of("mode", "config", "provider", "seed", "life", "mix",
            "maxOps", "hold", "iterations", "maxSeconds");

    private CrashWriter() {
    }

    /** Entry point of the child JVM; exits 0 when done, 3 when an operation failed. */
    public static void main(String[] args) {
        ProtocolOut out = new ProtocolOut(new FileOutputStream(FileDescriptor.out));
        System.setOut(System.err);
        try {
            Map<String, String> a = parse(args);
            long maxSeconds = Long.parseLong(a.getOrDefault("maxSeconds", "300"));
            startWatchdogs(maxSeconds);
            PersistentLogConfig config = PersistentLogConfig.load(Path.of(a.get("config")));
            String provider = a.getOrDefault("provider", "");
            long seed = Long.parseLong(a.get("seed"));
            switch (a.getOrDefault("mode", "write")) {
                case "write" -> write(out, config, provider, seed, Integer.parseInt(a.get("life")),
                        Workload.Mix.valueOf(a.getOrDefault("mix", "mixed").toUpperCase(java.util.Locale.ROOT)),
                        Integer.parseInt(a.getOrDefault("maxOps", "1000000")),
                        Boolean.parseBoolean(a.getOrDefault("hold", "false")), maxSeconds);
                case "recover" -> recover(out, config, provider, Integer.parseInt(a.getOrDefault("iterations", "100")));
                default -> throw new IllegalArgumentException("mode must be write or recover, got " + a.get("mode"));
            }
            out.emit(CrashEvent.of(CrashEvent.Type.DONE));
            System.exit(0);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "crash writer failed", t);
            try {
                out.emit(CrashEvent.error(String.valueOf(t)));
            } finally {
                Runtime.getRuntime().halt(3);
            }
        }
    }

    private static void write(ProtocolOut out, PersistentLogConfig config, String provider, long seed, int life,
                              Workload.Mix mix, int maxOps, boolean hold, long maxSeconds) throws Exception {
        try (PersistentLog<byte[], byte[], byte[]> log = openAndReport(out, config, provider)) {
            out.emit(CrashEvent.of(CrashEvent.Type.READY));
            new Workload(log, out, seed, life, mix).run(maxOps, System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds));
            if (hold) {
                // closing would sync: wait with the log open until the parent cuts the power and kills us
                out.emit(CrashEvent.of(CrashEvent.Type.DONE));
                new CountDownLatch(1).await();
            }
        }
    }

    private static void recover(ProtocolOut out, PersistentLogConfig config, String provider, int iterations) {
        for (int i = 0; i < iterations; i++) {
            openAndReport(out, config, provider).close();
        }
    }

    private static PersistentLog<byte[], byte[], byte[]> openAndReport(ProtocolOut out, PersistentLogConfig config,
                                                                       String provider) {
        out.emit(CrashEvent.of(CrashEvent.Type.OPENING));
        long start = System.nanoTime();
        PersistentLog<byte[], byte[], byte[]> log = LogOpener.open(config, provider);
        LogSnapshot snapshot = LogSnapshot.read(log, List.of(), Workload.META_KEYS);
        out.emit(CrashEvent.recovered(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start), snapshot.summary()));
        return log;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0 || !KEYS.contains(arg.substring(0, eq))) {
                throw new IllegalArgumentException("crash writer argument '" + arg + "': expected key=value with a key of " + KEYS);
            }
            m.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        for (String required : List.of("config", "seed")) {
            if (!m.containsKey(required)) {
                throw new IllegalArgumentException("crash writer needs the argument " + required + "=..., got " + m.keySet());
            }
        }
        if ("write".equals(m.getOrDefault("mode", "write")) && !m.containsKey("life")) {
            throw new IllegalArgumentException("crash writer in write mode needs life=<n>");
        }
        return m;
    }

    private static void startWatchdogs(long maxSeconds) {
        Thread stdin = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent never writes; end of file means it is gone
                }
                LOG.log(System.Logger.Level.WARNING, "crash writer: the parent closed standard input; stopping");
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "crash writer: standard input failed; stopping", e);
            }
            Runtime.getRuntime().halt(2);
        }, "crash-writer-parent-watch");
        stdin.setDaemon(true);
        stdin.start();
        Thread deadline = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(maxSeconds) + 30_000);
                LOG.log(System.Logger.Level.WARNING, "crash writer: ran past its deadline of {0} s; stopping", maxSeconds);
                Runtime.getRuntime().halt(4);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "crash-writer-deadline");
        deadline.setDaemon(true);
        deadline.start();
    }
}
