package io.atlas.log.tck.crash;

import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.PersistentLogException;
import io.atlas.log.SeqNo;
import io.atlas.log.SyncPolicy;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * G8 with real I/O errors: a {@link FaultWriter} child JVM runs under
 * {@code strace -f -e inject=fsync,fdatasync:error=EIO:when=N}, so the N-th fsync and the N-th
 * fdatasync of its storing thread fail with EIO before they reach the kernel (strace counts per
 * syscall and per thread; the stores run on a thread of their own, so the count starts at the first
 * store; the log is created beforehand in the kit's JVM, so that the child's open makes few syncs).
 * {@code FileChannel.force(false)} is fdatasync, {@code force(true)} fsync, LMDB's commits and
 * {@code mdb_env_sync} fdatasync, the Xodus backend fsync: every store of a durable
 * backend under every-write makes at least one of them, so {@code N} stores always reach the
 * injection.
 *
 * <p>The check then requires: the store whose sync failed throws {@link PersistentLogException};
 * nothing is acknowledged after it (a retry of the same decision and the next one are refused, with
 * {@link PersistentLogException}); and, reopened in this JVM without strace, the log holds every
 * acknowledged decision byte for byte, holds nothing else but possibly the decision whose sync
 * failed, and accepts a new one. A backend that swallows the failed sync is caught through strace's
 * own record: an EIO injected into the storing thread while every store was acknowledged. If no EIO
 * reached the storing thread the run proved nothing and fails as a harness error.
 *
 * <p>An injected EIO leaves the written pages in the page cache, unlike a real one, which may drop
 * them: what the check proves is that the engine stops at the first failed sync, which is exactly
 * what makes the real case safe.
 */
public final class SyncFault {

    private static final System.Logger LOG = System.getLogger(SyncFault.class.getName());
    /** The smallest and largest N: above the handful of syncs any thread makes while opening. */
    static final int MIN_INJECT_AT = 5;
    static final int MAX_INJECT_AT = 40;
    /** Stores beyond N: enough for the injection to be reached even at one sync per store. */
    private static final int EXTRA_STORES = 10;
    private static final long CHILD_TIMEOUT_MILLIS = 60_000;
    private static final String TRACED = "fsync,fdatasync";
    /** {@code 1234 fdatasync(5) = -1 EIO (Input/output error) (INJECTED)}, or the {@code <... fdatasync resumed>} form. */
    private static final Pattern SYNC_LINE = Pattern.compile("^(\\d+)\\s+(?:<\\.\\.\\. )?(fsync|fdatasync)\\b.*= (.*)$");

    private static volatile Optional<List<String>> straceFlags;
    private static volatile String probeFailure = "";

    private final StorageProvider provider;
    private final Path scratch;
    private final List<String> jvmFlags;
    private final UnaryOperator<PersistentLogConfig.Builder> configure;
    private final String providerClass;

    /**
     * @param scratch   a directory for the runs' logs and output; kept when a run fails
     * @param jvmFlags  flags for the child JVM
     * @param configure adjusts the log configuration (backend options); the check then sets the
     *                  backend name and {@code every-write}
     */
    public SyncFault(StorageProvider provider, Path scratch, List<String> jvmFlags,
                     UnaryOperator<PersistentLogConfig.Builder> configure) {
        if (provider == null || scratch == null || jvmFlags == null || configure == null) {
            throw new IllegalArgumentException("sync fault check arguments must not be null, got provider=" + provider
                    + ", scratch=" + scratch + ", jvmFlags=" + jvmFlags + ", configure=" + configure);
        }
        this.provider = provider;
        this.scratch = scratch.toAbsolutePath();
        this.jvmFlags = List.copyOf(jvmFlags);
        this.configure = configure;
        this.providerClass = LogOpener.instantiable(provider) ? provider.getClass().getName() : "";
    }

    /**
     * Why the check cannot run here, or empty: it needs Linux and a working {@code strace} (Debian
     * package strace) that may trace its children (ptrace is allowed to root, and to others on their
     * own children unless a security module forbids it).
     */
    public static Optional<String> unavailableReason() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.of("sync-fault test injects EIO with strace and needs Linux, this is "
                    + System.getProperty("os.name"));
        }
        if (LoopMount.find("strace").isEmpty()) {
            return Optional.of("sync-fault test injects EIO with strace, which is not installed"
                    + " (Debian: apt-get install strace)");
        }
        return flags().isPresent() ? Optional.empty()
                : Optional.of("sync-fault test: strace cannot trace a child process here (ptrace not permitted?): "
                        + probeFailure);
    }

    /** strace's flags, with {@code --seccomp-bpf} (only the traced calls stop the child) where it works. */
    private static synchronized Optional<List<String>> flags() {
        if (straceFlags == null) {
            Optional<String> t = LoopMount.find("true");
            List<List<String>> candidates = List.of(List.of("-f", "--seccomp-bpf", "-qq", "-e", "signal=none"),
                    List.of("-f", "-qq", "-e", "signal=none"));
            straceFlags = Optional.empty();
            for (List<String> candidate : candidates) {
                List<String> cmd = new ArrayList<>(List.of("strace"));
                cmd.addAll(candidate);
                cmd.addAll(List.of("-o", "/dev/null", "-e", "trace=" + TRACED, "--", t.orElse("true")));
                try {
                    LoopMount.run(cmd.toArray(String[]::new));
                    straceFlags = Optional.of(candidate);
                    break;
                } catch (IOException e) {
                    probeFailure = e.getMessage();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    probeFailure = "interrupted while probing strace";
                    break;
                }
            }
        }
        return straceFlags;
    }

    /**
     * Runs the check {@code runs} times, with the injection at a different N each time (drawn from
     * {@code seed}, between 5 and 40).
     *
     * @return the violations, the last naming the seed and the kept directory, and a summary
     */
    public CrashCampaign.Report check(long seed, int runs) throws IOException, InterruptedException {
        if (runs < 1) {
            throw new IllegalArgumentException("sync fault runs must be at least 1, got " + runs);
        }
        long start = System.nanoTime();
        SplittableRandom random = new SplittableRandom(Payloads.mix(seed, 0x53594e43L));
        List<String> violations = new ArrayList<>();
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            int injectAt = MIN_INJECT_AT + random.nextInt(MAX_INJECT_AT - MIN_INJECT_AT + 1);
            Path run = Files.createTempDirectory(scratch, "run-" + i + "-at-" + injectAt + "-");
            List<String> found = new ArrayList<>();
            outcomes.add("call " + injectAt + ": " + runOnce(run, random.nextLong(), injectAt, found));
            if (found.isEmpty()) {
                CrashCampaign.deleteTree(run);
            } else {
                for (String v : found) {
                    violations.add("[" + provider.name() + "] sync fault at call " + injectAt + ": " + v);
                }
                violations.add("kept for inspection: " + run);
            }
        }
        String summary = String.format(Locale.ROOT, "sync faults: %d runs in %.1f s; %s", runs,
                (System.nanoTime() - start) / 1e9, String.join("; ", outcomes));
        if (violations.isEmpty()) {
            return new CrashCampaign.Report(List.of(), summary);
        }
        violations.add("seed " + seed + " (rerun with -Datlas.crash.seed=" + seed + ")");
        return new CrashCampaign.Report(violations, summary);
    }

    private String runOnce(Path run, long seed, int injectAt, List<String> violations)
            throws IOException, InterruptedException {
        PersistentLogConfig config = configure.apply(PersistentLogConfig.builder(run.resolve("log")))
                .backend(provider.name())
                .syncPolicy(SyncPolicy.everyWrite())
                .build();
        Path configFile = ownerOnlyFile(run.resolve("log-config.properties"));
        try (Writer w = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
            config.toProperties().store(w, "sync-fault log configuration");
        }
        // Created here, not in the traced child: strace counts calls per thread, and creating a log may take
        // more syncs on the opening thread than the smallest N, which would put the injection inside the
        // open instead of a store. Opening an existing log takes few.
        try (PersistentLog<byte[], byte[], byte[]> created = LogOpener.open(config, provider)) {
            created.sync();
        }
        Path stdout = ownerOnlyFile(run.resolve("child.out"));
        Path stderr = ownerOnlyFile(run.resolve("child.stderr"));
        Path trace = ownerOnlyFile(run.resolve("strace.out"));
        int stores = injectAt + EXTRA_STORES;
        String injection = "inject=" + TRACED + ":error=EIO:when=" + injectAt;
        List<String> cmd = new ArrayList<>();
        cmd.add(LoopMount.find("strace").orElse("strace"));
        cmd.addAll(flags().orElseThrow(() -> new IllegalStateException("strace is not usable: " + probeFailure)));
        cmd.addAll(List.of("-o", trace.toString(), "-e", "trace=" + TRACED, "-e", injection, "--"));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", ClassPathGuard.classPath(), FaultWriter.class.getName(),
                "config=" + configFile, "provider=" + providerClass, "seed=" + seed, "stores=" + stores,
                "maxSeconds=" + TimeUnit.MILLISECONDS.toSeconds(CHILD_TIMEOUT_MILLIS)));
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        // standard input stays open while we wait: the child stops when it ends, so it never outlives us
        try (OutputStream ignored = p.getOutputStream()) {
            if (!p.waitFor(CHILD_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                violations.add("harness: the child (" + String.join(" ", cmd) + ") did not finish within "
                        + CHILD_TIMEOUT_MILLIS + " ms");
                return "timed out";
            }
        }
        Child child = Child.parse(Files.readAllLines(stdout, StandardCharsets.UTF_8));
        Trace strace = Trace.parse(Files.readAllLines(trace, StandardCharsets.UTF_8), child.thread);
        String outcome = judge(child, strace, p.exitValue(), injectAt, stores, stderr, violations);
        verifyReopen(config, seed, child, violations);
        return outcome;
    }

    /** Judges the child's report against strace's record; returns a one-line outcome for the summary. */
    private String judge(Child child, Trace strace, int exit, int injectAt, int stores, Path stderr,
                         List<String> violations) throws IOException {
        if (child.error != null || !child.done || exit != 0 || child.thread < 0) {
            violations.add("harness: the fault writer did not complete (exit code " + exit + ", "
                    + (child.error != null ? "reported: " + child.error : child.done ? "no THREAD line" : "no DONE line")
                    + "); injected: " + strace.injected + "\n--- child stderr:\n" + tail(stderr, 30));
            return "child failed";
        }
        if (!child.protocolErrors.isEmpty()) {
            violations.add("harness: unexpected lines from the fault writer: " + child.protocolErrors);
        }
        if (child.failedClass == null) {
            if (!strace.injectedIntoStorer.isEmpty()) {
                violations.add("G8: " + strace.injectedIntoStorer.get(0) + " failed with EIO (injected by strace)"
                        + " inside a store, yet all " + child.acked + " stores were acknowledged: the failed sync was"
                        + " swallowed and decisions were acknowledged after it");
                return "sync failure swallowed";
            }
            violations.add("harness: the injected EIO never reached the backend: the storing thread made "
                    + strace.storerCalls + " fsync/fdatasync calls in " + stores + " stores, the injection was at call "
                    + injectAt + (strace.injected.isEmpty() ? "" : "; injected on other threads: " + strace.injected)
                    + ". A durable backend under every-write must fsync or fdatasync in every store");
            return "never injected";
        }
        if (!isPersistentLogException(child.failedClass)) {
            violations.add("G8: the store whose sync failed threw " + child.failedClass + " (" + child.failedMessage
                    + "), not a PersistentLogException");
        }
        if (strace.injected.isEmpty()) {
            violations.add("harness: a store failed (" + child.failedClass + ": " + child.failedMessage
                    + ") although strace injected no EIO");
        }
        for (long seq : child.ackedAfterFailure) {
            violations.add("G8: the store at seq " + seq + " was acknowledged after an earlier store failed ("
                    + child.failedClass + ": " + child.failedMessage + "); the log must be fail-stop");
        }
        for (Refusal refusal : child.refused) {
            if (!isPersistentLogException(refusal.exceptionClass())) {
                violations.add("G8: the store at seq " + refusal.seq() + " after the failed sync was refused with "
                        + refusal.exceptionClass() + ", expected PersistentLogException");
            }
        }
        if (child.ackedAfterFailure.size() + child.refused.size() != 2) {
            violations.add("harness: expected two stores after the failure, the child reported "
                    + child.ackedAfterFailure.size() + " acknowledged and " + child.refused.size() + " refused");
        }
        LOG.log(System.Logger.Level.INFO, "[" + provider.name() + "] " + strace.injected + " after " + child.acked
                + " acknowledged stores: " + child.failedClass + ": " + child.failedMessage);
        return "EIO on " + (strace.injected.isEmpty() ? "?" : strace.injected.get(0)) + " after " + child.acked
                + " acks, fail-stop";
    }

    /** Reopens without strace: every acknowledged decision is back, nothing else but the failed one, and a store works. */
    private void verifyReopen(PersistentLogConfig config, long seed, Child child, List<String> violations) {
        if (child.acked == 0 && child.failedClass == null) {
            return;
        }
        long lastAcked = FaultWriter.FIRST_SEQ + child.acked - 1;
        try (PersistentLog<byte[], byte[], byte[]> log = LogOpener.open(config, provider)) {
            List<Decision<byte[]>> all = log.retrieveDecisionsAfter(SeqNo.of(FaultWriter.FIRST_SEQ - 1));
            for (int i = 0; i < all.size(); i++) {
                Decision<byte[]> d = all.get(i);
                long seq = FaultWriter.FIRST_SEQ + i;
                if (d.seqNo().value() != seq) {
                    violations.add("G2: after reopening, decision " + i + " has seq " + d.seqNo() + ", expected " + seq);
                    return;
                }
                boolean failedOne = child.failedClass != null && seq == lastAcked + 1;
                if (seq > lastAcked + 1 || (seq == lastAcked + 1 && !failedOne)) {
                    violations.add("G8: after reopening, the log holds seq " + seq + ", which was never acknowledged"
                            + " and is not the decision whose sync failed (last acknowledged: " + lastAcked + ")");
                    return;
                }
                if (!d.equals(Payloads.decision(seed, seq, 0))) {
                    violations.add("G2/G8: after reopening, the decision at seq " + seq + " differs from what was "
                            + (failedOne ? "stored by the failed store" : "acknowledged"));
                    return;
                }
            }
            if (all.size() < child.acked) {
                violations.add("G8: after reopening, the log holds " + all.size() + " decisions, but " + child.acked
                        + " (seqs " + FaultWriter.FIRST_SEQ + ".." + lastAcked + ") were acknowledged before the failure");
                return;
            }
            Decision<byte[]> next = Payloads.decision(seed, FaultWriter.FIRST_SEQ + all.size(), 2);
            log.storeDecision(next);
            if (!log.retrieveDecision(next.seqNo()).equals(Optional.of(next))) {
                violations.add("G8: after reopening, the decision stored at seq " + next.seqNo() + " does not read back");
            }
        } catch (PersistentLogException e) {
            violations.add("G8: the log does not reopen and accept a store after the failed sync: " + e);
        }
    }

    private static boolean isPersistentLogException(String className) {
        try {
            return PersistentLogException.class.isAssignableFrom(Class.forName(className, false,
                    SyncFault.class.getClassLoader()));
        } catch (ClassNotFoundException e) {
            LOG.log(System.Logger.Level.DEBUG, "exception class " + className + " of the fault writer is unknown here", e);
            return false;
        }
    }

    private static Path ownerOnlyFile(Path file) throws IOException {
        Files.deleteIfExists(file);
        return Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    private static String tail(Path file, int lines) throws IOException {
        List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private record Refusal(long seq, String exceptionClass) {
    }

    /** What the {@link FaultWriter} reported. */
    private static final class Child {
        long thread = -1;
        int acked;
        String failedClass;
        String failedMessage;
        final List<Long> ackedAfterFailure = new ArrayList<>();
        final List<Refusal> refused = new ArrayList<>();
        final List<String> protocolErrors = new ArrayList<>();
        boolean done;
        String error;

        static Child parse(List<String> lines) {
            Child c = new Child();
            for (String line : lines) {
                String[] f = line.split(" ", 3);
                try {
                    switch (f[0]) {
                        case "THREAD" -> c.thread = Long.parseLong(f[1]);
                        case "ACK" -> {
                            long expected = FaultWriter.FIRST_SEQ + c.acked;
                            if (Long.parseLong(f[1]) != expected || c.failedClass != null) {
                                c.protocolErrors.add(line + " (expected ACK " + expected + " before any FAILED)");
                            }
                            c.acked++;
                        }
                        case "FAILED" -> {
                            c.failedClass = f[1];
                            c.failedMessage = f.length > 2 ? f[2] : "";
                        }
                        case "ACK-AFTER-FAILURE" -> c.ackedAfterFailure.add(Long.parseLong(f[1]));
                        case "REFUSED" -> c.refused.add(new Refusal(Long.parseLong(f[1]), f[2]));
                        case "DONE" -> c.done = true;
                        case "ERROR" -> c.error = line.substring(Math.min(line.length(), 6));
                        default -> c.protocolErrors.add(line);
                    }
                } catch (RuntimeException e) {
                    c.protocolErrors.add(line + " (" + e + ")");
                }
            }
            return c;
        }
    }

    /** What strace recorded: the injected calls, and how many sync calls the storing thread made. */
    private static final class Trace {
        final List<String> injected = new ArrayList<>();
        final List<String> injectedIntoStorer = new ArrayList<>();
        int storerCalls;

        static Trace parse(List<String> lines, long storer) {
            Trace t = new Trace();
            for (String line : lines) {
                Matcher m = SYNC_LINE.matcher(line);
                if (!m.find()) {
                    continue;
                }
                long tid = Long.parseLong(m.group(1));
                String call = m.group(2) + " (thread " + tid + (tid == storer ? ", the storing thread" : "") + ")";
                if (tid == storer) {
                    t.storerCalls++;
                }
                if (m.group(3).contains("(INJECTED)")) {
                    t.injected.add(call);
                    if (tid == storer) {
                        t.injectedIntoStorer.add(call);
                    }
                }
            }
            return t;
        }
    }
}
