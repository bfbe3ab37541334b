package io.atlas.log.tck.crash;

import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.PersistentLogException;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The child process of the sync-fault check ({@link SyncFault}), run under {@code strace} with an EIO
 * injected into one of its fsync/fdatasync calls. It opens a log (the configuration must say
 * {@code every-write}) and stores decisions one by one, reporting on standard output, one line each:
 * <ul>
 *   <li>{@code THREAD <tid>}: the Linux thread id of the storing thread. The stores run on a thread
 *       of their own because strace counts the calls it injects into per thread: the count then
 *       starts at the first store, whatever the open did;</li>
 *   <li>{@code ACK <seq>} after each store that returned;</li>
 *   <li>{@code FAILED <exception class> <message>} when a store threw; then the child tries the same
 *       decision again and then the next one, reporting each as {@code ACK-AFTER-FAILURE <seq>} if
 *       it was acknowledged (it must not be) or {@code REFUSED <seq> <exception class>};</li>
 *   <li>{@code DONE} at the end, {@code ERROR <text>} when the child itself fails.</li>
 * </ul>
 * The decision at seq {@code s} is {@code Payloads.decision(seed, s, 0)}, its retry
 * {@code Payloads.decision(seed, s, 1)}, so the parent knows every byte without being told.
 *
 * <p>Arguments, each {@code key=value}: {@code config} (a properties file for
 * {@link PersistentLogConfig#load}), {@code provider} (class name, or empty to find the configured
 * backend by name), {@code seed}, {@code stores} (decisions to store, seqs 1 to {@code stores}) and
 * {@code maxSeconds}. The child stops by itself when its standard input ends (the parent died) or
 * after {@code maxSeconds}.
 */
public final class FaultWriter {

    private static final System.Logger LOG = System.getLogger(FaultWriter.class.getName());
    private static final Set<String> KEYS = Set.of("config", "provider", "seed", "stores", "maxSeconds");
    /** Seq of the first decision: any seq may start an empty log, and 1 keeps {@code retrieveDecisionsAfter(ZERO)} whole. */
    static final long FIRST_SEQ = 1;

    private final OutputStream out;

    private FaultWriter(OutputStream out) {
        this.out = out;
    }

    /** Entry point of the child JVM: exits 0 after DONE, 3 when the child itself failed. */
    public static void main(String[] args) {
        FaultWriter w = new FaultWriter(new FileOutputStream(FileDescriptor.out));
        System.setOut(System.err);
        try {
            Map<String, String> a = parse(args);
            long maxSeconds = Long.parseLong(a.getOrDefault("maxSeconds", "60"));
            startWatchdogs(maxSeconds);
            PersistentLogConfig config = PersistentLogConfig.load(Path.of(a.get("config")));
            long seed = Long.parseLong(a.get("seed"));
            int stores = Integer.parseInt(a.get("stores"));
            w.run(config, a.getOrDefault("provider", ""), seed, stores);
            w.emit("DONE");
            System.exit(0);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "fault writer failed", t);
            try {
                w.emit("ERROR " + oneLine(String.valueOf(t)));
            } finally {
                Runtime.getRuntime().halt(3);
            }
        }
    }

    private void run(PersistentLogConfig config, String provider, long seed, int stores) throws Exception {
        PersistentLog<byte[], byte[], byte[]> log = LogOpener.open(config, provider);
        try {
            AtomicReference<Throwable> crashed = new AtomicReference<>();
            Thread storing = new Thread(() -> {
                try {
                    storeAll(log, seed, stores);
                } catch (Throwable t) {
                    crashed.set(t);
                }
            }, "fault-writer-stores");
            storing.start();
            storing.join();
            if (crashed.get() != null) {
                throw new IllegalStateException("the storing thread failed: " + crashed.get(), crashed.get());
            }
        } finally {
            try {
                log.close();
            } catch (PersistentLogException e) {
                // expected after the injected failure: closing a fail-stopped log may fail again
                LOG.log(System.Logger.Level.INFO, "close after the injected fault failed: " + e);
            }
        }
    }

    private void storeAll(PersistentLog<byte[], byte[], byte[]> log, long seed, int stores) throws IOException {
        emit("THREAD " + Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName());
        for (long seq = FIRST_SEQ; seq < FIRST_SEQ + stores; seq++) {
            try {
                log.storeDecision(Payloads.decision(seed, seq, 0));
            } catch (RuntimeException e) {
                emit("FAILED " + e.getClass().getName() + " " + oneLine(String.valueOf(e.getMessage())));
                LOG.log(System.Logger.Level.INFO, "store of seq " + seq + " failed", e);
                // a replica would retry the same decision, then go on with the next: both must be refused
                tryAgain(log, Payloads.decision(seed, seq, 1));
                tryAgain(log, Payloads.decision(seed, seq + 1, 1));
                return;
            }
            emit("ACK " + seq);
        }
    }

    private void tryAgain(PersistentLog<byte[], byte[], byte[]> log, Decision<byte[]> d) {
        try {
            log.storeDecision(d);
            emit("ACK-AFTER-FAILURE " + d.seqNo().value());
        } catch (RuntimeException e) {
            emit("REFUSED " + d.seqNo().value() + " " + e.getClass().getName());
        }
    }

    /** One line, one unbuffered write, so the line is whole in the pipe once this returns. */
    private synchronized void emit(String line) {
        try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // the parent is gone: nothing left to report to
            Runtime.getRuntime().halt(2);
        }
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0 || !KEYS.contains(arg.substring(0, eq))) {
                throw new IllegalArgumentException("fault writer argument '" + arg + "': expected key=value with a key of " + KEYS);
            }
            m.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        for (String required : List.of("config", "seed", "stores")) {
            if (!m.containsKey(required)) {
                throw new IllegalArgumentException("fault writer needs the argument " + required + "=..., got " + m.keySet());
            }
        }
        return m;
    }

    private static void startWatchdogs(long maxSeconds) {
        Thread stdin = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent never writes; end of file means it is gone
                }
                LOG.log(System.Logger.Level.WARNING, "fault writer: the parent closed standard input; stopping");
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "fault writer: standard input failed; stopping", e);
            }
            Runtime.getRuntime().halt(2);
        }, "fault-writer-parent-watch");
        stdin.setDaemon(true);
        stdin.start();
        Thread deadline = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(maxSeconds));
                LOG.log(System.Logger.Level.WARNING, "fault writer: ran past its deadline of {0} s; stopping", maxSeconds);
                Runtime.getRuntime().halt(4);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "fault-writer-deadline");
        deadline.setDaemon(true);
        deadline.start();
    }
}
